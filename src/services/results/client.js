/**
 * ResultsApi over HTTP (the runner, a separate process, posts through it; cluster-mode services read through it)
 * and the resolver other services use: the in-process module when results runs here, else HTTP to
 * BENCHOPS_RESULTS_URL. Importing this file pulls in no database code.
 */
import { loadTokens } from "../../core/auth.js";
import { AppError, readJsonBody, remoteValidationError } from "../../core/errors.js";
export class ResultsClient {
    base;
    token;
    timeoutMs;
    retries;
    constructor(baseUrl, opts = {}) {
        this.base = baseUrl.replace(/\/+$/, '');
        this.token = opts.token;
        this.timeoutMs = opts.timeoutMs ?? 30_000;
        this.retries = opts.retries ?? 2;
    }
    async request(method, path, body) {
        const attempts = method === 'POST' ? this.retries + 1 : 1;
        for (let attempt = 1;; attempt++) {
            let res;
            try {
                res = await fetch(this.base + path, {
                    method,
                    headers: {
                        accept: 'application/json',
                        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
                        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
                    },
                    body: body !== undefined ? JSON.stringify(body) : undefined,
                    signal: AbortSignal.timeout(this.timeoutMs),
                });
            }
            catch (e) {
                if (attempt < attempts) {
                    await new Promise((r) => setTimeout(r, 200 * attempt));
                    continue;
                }
                throw new AppError(503, `Results service unreachable at ${this.base}: ${e?.message ?? e}`, 'unavailable');
            }
            if ([502, 503, 504].includes(res.status) && attempt < attempts) {
                await new Promise((r) => setTimeout(r, 200 * attempt));
                continue;
            }
            const { json: parsed } = await readJsonBody(res);
            if (!res.ok) {
                const detail = parsed?.detail;
                const invalid = remoteValidationError(res.status, parsed);
                if (invalid)
                    throw invalid;
                throw new AppError(res.status, typeof detail === 'string' ? detail : `results service answered ${res.status}`);
            }
            const total = res.headers.get('x-total-count');
            return { body: parsed, total: total === null ? undefined : Number(total) };
        }
    }
    async postRaw(body, opts = {}) {
        const q = opts.standardize === false ? '?standardize=false' : '';
        return (await this.request('POST', `/raw_input${q}`, body)).body;
    }
    async postStandardized(body) {
        return (await this.request('POST', '/standardized_output', body)).body;
    }
    async getRaw(pk) {
        return (await this.request('GET', `/raw_input/${encodeURIComponent(pk)}`)).body;
    }
    async getStandardized(pk) {
        return (await this.request('GET', `/standardized_output/${encodeURIComponent(pk)}`)).body;
    }
    async list(path, f) {
        const q = new URLSearchParams();
        for (const [k, v] of Object.entries(f))
            if (v !== undefined && v !== null)
                q.set(k, String(v));
        const r = await this.request('GET', `${path}${q.size ? `?${q}` : ''}`);
        return { items: r.body, total: r.total ?? r.body.length };
    }
    listRaw(filter = {}) {
        return this.list('/raw_input', filter);
    }
    listStandardized(filter = {}) {
        return this.list('/standardized_output', filter);
    }
    async compare(pks) {
        const q = new URLSearchParams();
        for (const pk of pks)
            q.append('pks', pk);
        return (await this.request('GET', `/compare?${q}`)).body;
    }
    async history(modelId, query) {
        const q = new URLSearchParams({ model_id: modelId });
        for (const [k, v] of Object.entries(query))
            if (v !== undefined && v !== null)
                q.set(k, String(v));
        const r = await this.request('GET', `/history?${q}`);
        return { items: r.body, total: r.total ?? r.body.length };
    }
}
/**
 * The ResultsApi for this process: in-process when the results service runs here, else HTTP to `resultsUrl`
 * with `token`, or else the least privileged configured token that may post (operator, then admin).
 */
export function resultsApi(ctx, opts = {}) {
    const local = ctx.local.get('results')?.api;
    if (local)
        return local;
    if (ctx.config.resultsUrl) {
        let token = opts.token;
        if (!token) {
            const order = ['operator', 'admin'];
            token = loadTokens(ctx.config)
                .filter((t) => order.includes(t.role))
                .sort((a, b) => order.indexOf(a.role) - order.indexOf(b.role))[0]?.token;
        }
        return new ResultsClient(ctx.config.resultsUrl, { token });
    }
    throw new AppError(503, 'The results service is not running in this process and BENCHOPS_RESULTS_URL is not set', 'unavailable');
}
//# sourceMappingURL=client.js.map