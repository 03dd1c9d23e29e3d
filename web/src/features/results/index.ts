/** The results pages the router mounts at /results, /results/:pk, /compare and /history. */
export { ComparePage } from './ComparePage';
export { HistoryPage } from './HistoryPage';
export { ResultPage } from './ResultPage';
export { ResultsListPage } from './ResultsListPage';
