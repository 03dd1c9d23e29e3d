/**
 * The parser registry: a raw input's `source` selects the parser that derives its standardized document; when the
 * source is not a known tool (the evalchemy image posts lm-eval output as `source: "curator"`), the data's shape does.
 */
import { BENCHOPS_RUNNER_FORMAT, benchopsRunnerParser } from "./benchops.js";
import { finite } from "./common.js";
import { guidellmParser } from "./guidellm.js";
import { evalchemyParser, lmEvalParser } from "./lm-eval.js";
import { vllmBenchParser } from "./vllm-bench.js";
import { isPlainObject } from "../standard.js";
export { ParseError } from "./common.js";
export const PARSERS = [lmEvalParser, evalchemyParser, vllmBenchParser, guidellmParser, benchopsRunnerParser];
/** Bumped when a parser's output changes, so a stored derived document can say which version made it. */
export const PARSER_VERSION = 2;
/** The parser for a source (case-insensitive), or undefined when the source is not a known tool. */
export function parserFor(source) {
    const s = source.trim().toLowerCase();
    return PARSERS.find((p) => p.sources.includes(s));
}
/**
 * The parser whose tool writes documents of this shape, or undefined: the runner's `format`; lm-eval's `results`
 * with `versions`/`configs`/`n-shot`/`n-samples`/`higher_is_better`; GuideLLM's `benchmarks[].metrics`; vLLM bench
 * serve's flat `completed` with `mean_ttft_ms`/`request_throughput`.
 */
export function detectParser(data) {
    if (!isPlainObject(data))
        return undefined;
    if (data.format === BENCHOPS_RUNNER_FORMAT)
        return benchopsRunnerParser;
    if (isPlainObject(data.results) && ['versions', 'configs', 'n-shot', 'n-samples', 'higher_is_better'].some((k) => isPlainObject(data[k]))) {
        return lmEvalParser;
    }
    const first = Array.isArray(data.benchmarks) ? data.benchmarks[0] : undefined;
    if (isPlainObject(first) && isPlainObject(first.metrics))
        return guidellmParser;
    if (finite(data.completed) !== undefined && (finite(data.mean_ttft_ms) !== undefined || finite(data.request_throughput) !== undefined)) {
        return vllmBenchParser;
    }
    return undefined;
}
/** The parser for a post: its source's, else the one its data's shape matches; undefined when neither. */
export function selectParser(source, data) {
    const bySource = parserFor(source);
    if (bySource)
        return { parser: bySource, selectedBy: 'source' };
    const byShape = detectParser(data);
    return byShape ? { parser: byShape, selectedBy: 'shape' } : undefined;
}
/** Every source value a parser answers to (documented in the OpenAPI description). */
export const KNOWN_SOURCES = PARSERS.flatMap((p) => p.sources);
//# sourceMappingURL=index.js.map