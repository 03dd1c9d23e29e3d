/**
 * Kubeconfigs given to `POST /clusters`: checked and loaded as content only (never as a path on this server), with
 * errors that name the part of the file that is wrong and its line and column, never its text — a kubeconfig is
 * credentials, and the YAML library's and the Kubernetes client's own messages quote the source around an error.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { unprocessable } from '../../core/errors.ts';
import { parseYamlOne, SafeParseError } from '../../core/parse.ts';

type Obj = Record<string, any>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const LOC = ['body', 'kubeconfig'];

/** Names in a list of `{name, <kind>: {...}}` entries; 422 naming the entry that is malformed. */
function named(doc: Obj, list: 'clusters' | 'contexts' | 'users', inner: string): Map<string, Obj> {
  const v = doc[list];
  if (!Array.isArray(v) || !v.length) throw unprocessable(LOC, `kubeconfig has no ${list}`);
  const out = new Map<string, Obj>();
  v.forEach((e, i) => {
    if (!isObj(e) || typeof e.name !== 'string' || !e.name) throw unprocessable(LOC, `kubeconfig ${list}[${i}] has no name`);
    if (!isObj(e[inner])) throw unprocessable(LOC, `kubeconfig ${list}[${i}] has no ${inner} mapping`);
    out.set(e.name, e[inner]);
  });
  return out;
}

/**
 * Checks a kubeconfig text (structure, the context to use, its cluster's server URL) and returns a loaded client
 * configuration. Throws a 422 at `body.kubeconfig` whose message never quotes the text.
 */
export function loadKubeconfigContent(text: string, context?: string | null): KubeConfig {
  let doc: unknown;
  try {
    doc = parseYamlOne(text, { maxAliasCount: 20 });
  } catch (e) {
    throw unprocessable(LOC, `kubeconfig is not valid YAML: ${e instanceof SafeParseError ? e.message : 'unreadable'}`);
  }
  if (!isObj(doc)) throw unprocessable(LOC, 'kubeconfig must be a YAML mapping (apiVersion, clusters, contexts, users)');
  const clusters = named(doc, 'clusters', 'cluster');
  const contexts = named(doc, 'contexts', 'context');
  const users = doc.users === undefined ? new Map<string, Obj>() : named(doc, 'users', 'user');
  const want = context ?? doc['current-context'];
  if (typeof want !== 'string' || !want) throw unprocessable(LOC, 'kubeconfig has no current-context (or give `context`)');
  const ctx = contexts.get(want);
  if (!ctx) throw unprocessable(context ? ['body', 'context'] : LOC, `kubeconfig has no context named ${JSON.stringify(want.slice(0, 100))}`);
  const cluster = clusters.get(String(ctx.cluster ?? ''));
  if (!cluster) throw unprocessable(LOC, 'kubeconfig: the context names a cluster that is not in clusters');
  if (ctx.user !== undefined && !users.has(String(ctx.user))) throw unprocessable(LOC, 'kubeconfig: the context names a user that is not in users');
  let server: URL;
  try {
    server = new URL(String(cluster.server ?? ''));
  } catch {
    throw unprocessable(LOC, "kubeconfig: the context's cluster has no valid server URL");
  }
  if (server.protocol !== 'https:' && server.protocol !== 'http:') throw unprocessable(LOC, "kubeconfig: the cluster's server must be an http(s) URL");
  const kc = new KubeConfig();
  try {
    kc.loadFromString(text);
    kc.setCurrentContext(want);
  } catch {
    // the client's message may quote the file: say what failed, not what it read
    throw unprocessable(LOC, 'kubeconfig does not load (structure checked; the Kubernetes client rejected its contents)');
  }
  return kc;
}
