/** The parser registry: a raw input's `source` selects the parser that derives its standardized document. */
import { benchopsRunnerParser } from './benchops.ts';
import type { ResultParser } from './common.ts';
import { guidellmParser } from './guidellm.ts';
import { evalchemyParser, lmEvalParser } from './lm-eval.ts';
import { vllmBenchParser } from './vllm-bench.ts';

export { ParseError, type ParseContext, type ResultParser } from './common.ts';

export const PARSERS: ResultParser[] = [lmEvalParser, evalchemyParser, vllmBenchParser, guidellmParser, benchopsRunnerParser];

/** The parser for a source (case-insensitive), or undefined when the source is not a known tool. */
export function parserFor(source: string): ResultParser | undefined {
  const s = source.trim().toLowerCase();
  return PARSERS.find((p) => p.sources.includes(s));
}

/** Every source value a parser answers to (documented in the OpenAPI description). */
export const KNOWN_SOURCES = PARSERS.flatMap((p) => p.sources);
