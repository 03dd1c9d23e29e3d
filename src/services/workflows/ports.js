/**
 * What the workflows service needs from the others, through their public interfaces only: the vLLM service's queue
 * (in-process `VllmApi`, else HTTP) and its cluster/node and deployment routes (HTTP: `VllmApi` has no cluster
 * methods), the deployer's YAML apply/delete and job records (`DeployerApi` for records; apply/delete over HTTP, as
 * `DeployerApi` has no such methods), and the results service (`resultsApi`). In embedded mode the HTTP calls go to
 * this process's own listeners (`ctx.urls`); in cluster mode to BENCHOPS_VLLM_URL / BENCHOPS_DEPLOYER_URL.
 */
import { loadTokens } from "../../core/auth.js";
import { AppError, readJsonBody, remoteValidationError } from "../../core/errors.js";
import { resultsApi } from "../results/client.js";
import { vllmApi } from "../vllm/index.js";
function serviceToken(ctx) {
    const order = ['operator', 'admin', 'viewer'];
    return [...loadTokens(ctx.config)].sort((a, b) => order.indexOf(a.role) - order.indexOf(b.role))[0]?.token;
}
async function call(base, token, method, path, body, timeoutMs = 60_000) {
    let res;
    try {
        res = await fetch(base.replace(/\/+$/, '') + path, {
            method,
            headers: {
                accept: 'application/json',
                ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
                ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
            body: body !== undefined ? JSON.stringify(body) : undefined,
            signal: AbortSignal.timeout(timeoutMs),
        });
    }
    catch (e) {
        throw new AppError(503, `${base} unreachable: ${e?.cause?.code ?? e?.message ?? e}`, 'unavailable');
    }
    const { text, json } = await readJsonBody(res);
    if (!res.ok) {
        const invalid = remoteValidationError(res.status, json);
        if (invalid)
            throw invalid;
        const detail = typeof json?.detail === 'string' ? json.detail : text.slice(0, 300);
        throw new AppError(res.status >= 500 ? 502 : res.status, detail);
    }
    return { status: res.status, body: json, text };
}
/** The ports of a platform process. */
export function platformPorts(ctx) {
    const token = serviceToken(ctx);
    const base = (svc) => {
        const url = ctx.urls?.[svc] ?? (svc === 'vllm' ? ctx.config.vllmUrl : ctx.config.deployerUrl);
        if (!url)
            throw new AppError(503, `The ${svc} service is not running in this process and BENCHOPS_${svc.toUpperCase()}_URL is not set`, 'unavailable');
        return url;
    };
    const deployer = () => ctx.local.get('deployer')?.api;
    const enc = encodeURIComponent;
    return {
        async cluster(id) {
            try {
                return (await call(base('vllm'), token, 'GET', `/clusters/${enc(id)}`)).body;
            }
            catch (e) {
                if (e instanceof AppError && e.status === 404)
                    return null;
                throw e;
            }
        },
        async nodes(clusterId) {
            return (await call(base('vllm'), token, 'GET', `/clusters/${enc(clusterId)}/nodes`)).body;
        },
        vllm: () => vllmApi(ctx),
        queueItem: (id) => vllmApi(ctx).getQueueItem(id),
        async deployment(id) {
            return (await call(base('vllm'), token, 'GET', `/deployments/${enc(id)}/status`)).body;
        },
        async deleteDeployment(id) {
            try {
                await call(base('vllm'), token, 'DELETE', `/deployments/${enc(id)}`);
            }
            catch (e) {
                if (!(e instanceof AppError && e.status === 404))
                    throw e;
            }
        },
        async apply(yaml, namespace) {
            return (await call(base('deployer'), token, 'POST', '/deploy', { yaml_content: yaml, ...(namespace ? { namespace } : {}) })).body;
        },
        async deleteObjects(yaml, namespace) {
            await call(base('deployer'), token, 'POST', '/delete', { yaml_content: yaml, ...(namespace ? { namespace } : {}) });
        },
        async jobRecord(id) {
            const local = deployer();
            if (local)
                return local.getDeployment(id);
            return (await call(base('deployer'), token, 'GET', `/deployments/${enc(id)}`)).body;
        },
        async jobLogTail(name, namespace, lines) {
            try {
                const r = await call(base('deployer'), token, 'GET', `/jobs/${enc(name)}/logs?namespace=${enc(namespace)}&tail_lines=${lines}`, undefined, 15_000);
                return Array.isArray(r.body?.logs) ? r.body.logs.join('\n') : '';
            }
            catch {
                return '';
            }
        },
        results: () => resultsApi(ctx, { token }),
        async health() {
            const urls = { vllm: ctx.config.vllmUrl, deployer: ctx.config.deployerUrl, results: ctx.config.resultsUrl };
            const out = {};
            for (const svc of ['vllm', 'deployer', 'results']) {
                if (ctx.local.has(svc))
                    out[svc] = 'ok';
                else if (!urls[svc])
                    out[svc] = `down: not running in this process and BENCHOPS_${svc.toUpperCase()}_URL is not set`;
                else {
                    try {
                        const r = await fetch(`${urls[svc].replace(/\/+$/, '')}/health`, { signal: AbortSignal.timeout(3000) });
                        out[svc] = r.ok ? 'ok' : `down: HTTP ${r.status}`;
                    }
                    catch (e) {
                        out[svc] = `down: ${e?.cause?.code ?? e?.message ?? e}`;
                    }
                }
            }
            return out;
        },
    };
}
//# sourceMappingURL=ports.js.map