/** The Results service client the runner posts through (the results service's own HTTP client; retries are the runner's). */
import type { ResultsApi } from '../services/results/api.ts';
import { ResultsClient } from '../services/results/client.ts';

/** A ResultsApi over HTTP; its errors carry `status` (503 when unreachable) so publish() can tell transient from permanent. */
export function createResultsClient(baseUrl: string, token?: string): ResultsApi {
  return new ResultsClient(baseUrl, { token, retries: 0 });
}
