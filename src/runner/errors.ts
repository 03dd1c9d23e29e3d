/** Runner failures that map to exit codes: configuration problems (2) name the field; run failures (1) say what broke. */

/** Exit codes of `benchops job run` (documented in `benchops job run --help`). */
export const EXIT = { ok: 0, failed: 1, config: 2 } as const;

/** A bad or missing setting; `field` is the config path or variable name, e.g. `scenarios[1].max_concurrency`. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** The run could not complete (endpoint unreachable, every request failed, results could not be stored). */
export class RunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunError';
  }
}
