/**
 * Transitional re-export: the platform assembly moved to src/platform/ (it sits above the services, the core does
 * not). Kept only until bench/*.ts and src/core/auth.test.ts import src/platform/start.ts; then delete this file.
 */
export { assertSafeBind, startPlatform, type RunningPlatform, type StartOptions } from '../platform/start.ts';
