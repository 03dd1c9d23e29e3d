/**
 * Which version of each registered model counts: the newest by creation time (the earlier behaviour, not the highest
 * number), the version an alias such as `champion` points at, or the newest version in a stage.
 */
import type { ModelVersion, RegisteredModel } from './mlflow-client.ts';

export type Selection = { kind: 'latest' } | { kind: 'alias'; alias: string } | { kind: 'stage'; stage: string };

/** Parses `latest` | `alias:<name>` | `stage:<name>` (config.ts validated the shape). */
export function parseSelection(s: string): Selection {
  if (s.startsWith('alias:')) return { kind: 'alias', alias: s.slice(6) };
  if (s.startsWith('stage:')) return { kind: 'stage', stage: s.slice(6) };
  return { kind: 'latest' };
}

export const selectionLabel = (s: Selection) => (s.kind === 'latest' ? 'latest' : s.kind === 'alias' ? `alias:${s.alias}` : `stage:${s.stage}`);

/** Versions still registering or failed are not deployable. */
const usable = (v: ModelVersion) => !v.status || v.status === 'READY';

const newer = (a: ModelVersion, b: ModelVersion) => {
  const d = (a.creation_timestamp ?? 0) - (b.creation_timestamp ?? 0);
  return d !== 0 ? d > 0 : Number(a.version) > Number(b.version);
};

function newest(vs: ModelVersion[]): ModelVersion | undefined {
  let best: ModelVersion | undefined;
  for (const v of vs) if (usable(v) && (!best || newer(v, best))) best = v;
  return best;
}

/** One chosen version per model (models with no version matching the selection are left out). */
export function selectVersions(models: RegisteredModel[], versions: ModelVersion[], sel: Selection): ModelVersion[] {
  const byModel = new Map<string, ModelVersion[]>();
  for (const v of versions) {
    const list = byModel.get(v.name);
    if (list) list.push(v);
    else byModel.set(v.name, [v]);
  }
  const out: ModelVersion[] = [];
  for (const m of models) {
    const vs = byModel.get(m.name) ?? [];
    let chosen: ModelVersion | undefined;
    if (sel.kind === 'latest') chosen = newest(vs);
    else if (sel.kind === 'stage') chosen = newest(vs.filter((v) => (v.current_stage ?? '').toLowerCase() === sel.stage.toLowerCase()));
    else {
      const target = m.aliases?.find((a) => a.alias === sel.alias)?.version ?? vs.find((v) => v.aliases?.includes(sel.alias))?.version;
      chosen = target === undefined ? undefined : vs.find((v) => String(v.version) === String(target) && usable(v));
    }
    if (chosen) out.push(chosen);
  }
  return out;
}
