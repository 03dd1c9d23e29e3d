/** The load generator as a library: `runBenchmark(options, hooks)` → report with vLLM bench serve field names. */
export { runBenchmark, normaliseOptions, serverCounter, workloadOf } from './runner.ts';
export type { BenchmarkOptions, BenchmarkHooks, BenchmarkProgress } from './runner.ts';
export { runSweep, searchRate, meetsSlos } from './sweep.ts';
export { optionsFromScenario } from './config.ts';
export type { SloSearchOptions } from './sweep.ts';
export { summaryTable, requestsCsv, summaryCsv } from './report.ts';
export type { BenchmarkReport, BenchopsExtras, RequestRecordOut } from './report.ts';
export { calculateMetrics, parseGoodput, distribution, percentileSorted, peakConcurrency, METRIC_NAMES, VLLM_DEFINITIONS } from './metrics.ts';
export { mergeParts } from './merge.ts';
export { mergeReports, partOf } from './merge-reports.ts';
export type { RunPart, MergedRun, MergeOptions } from './merge.ts';
export type { RequestOutput, BenchmarkMetrics, GoodputSlos, MetricName, Distribution } from './metrics.ts';
export { loadSamples, exactPrompt, bundledCounter } from './dataset.ts';
export type { Sample, DatasetOptions, TokenCounter } from './dataset.ts';
export { arrivalTimes, rateAt } from './schedule.ts';
export type { ScheduleOptions } from './schedule.ts';
export { BundledTokenizer, bundledTokenizer, BUNDLED_TOKENIZER_ID, tokenCounterFor, tokenizerFamily } from './tokenizer.ts';
export type { SelfCheckReport } from './selfcheck.ts';
