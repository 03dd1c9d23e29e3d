/** The results pages the router mounts at /results, /results/:pk, /compare and /history (owned by the results UI). */
export { ComparePage, HistoryPage, ResultPage, ResultsListPage } from './placeholders';
