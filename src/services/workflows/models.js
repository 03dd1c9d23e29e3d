/**
 * The model registry: a model BenchOps serves (a Hugging Face name or local path, deployed by the vLLM service) or a
 * cloud OpenAI-compatible endpoint with a credential. Each carries how the simulator models it: the catalogue entry,
 * a shape estimated from the name, or none (then it cannot be simulated, and the view says why).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { asc, count, eq } from 'drizzle-orm';
import { conflict, notFound, unprocessable } from "../../core/errors.js";
import { iso } from "../../core/http.js";
import { estimateModel, findHardware, findModel, modelSummary } from "../../simulator/index.js";
import { models } from "./schema.js";
/** The catalogue or estimated spec for a name (also its last path segment, for local paths). */
export function resolveModelSpec(name) {
    return findModel(name) ?? findModel(path.basename(name)) ?? estimateModel(name) ?? estimateModel(path.basename(name));
}
function shapeOf(input) {
    const sim = input.simulator ?? {};
    if (sim.hardware && !findHardware(sim.hardware))
        throw unprocessable(['body', 'simulator', 'hardware'], `unknown hardware ${sim.hardware} (see benchops sim catalogue)`);
    const asked = sim.model ?? input.model_name;
    const spec = resolveModelSpec(asked);
    if (!spec) {
        if (sim.model)
            throw unprocessable(['body', 'simulator', 'model'], `the simulator knows no model ${sim.model} and its name states no size (such as 7B)`);
        return { known: false, model: null, hardware: sim.hardware ?? null, tensor_parallel: sim.tensor_parallel ?? null, reason: `${asked} is not in the simulator's catalogue and its name states no size; give simulator.model` };
    }
    const s = modelSummary(spec);
    return {
        known: true,
        model: spec.name,
        estimated_from: spec.estimated_from ?? null,
        kind: s.kind,
        params: s.params_total,
        layers: spec.num_layers,
        max_context: spec.max_context,
        embedding: !!spec.embedding,
        hardware: sim.hardware ? findHardware(sim.hardware).name : null,
        tensor_parallel: sim.tensor_parallel ?? null,
    };
}
/** The API view. */
export function modelView(m) {
    const sim = (m.simulator ?? { known: false, model: null });
    return {
        id: m.id,
        model_id: m.id,
        name: m.name,
        kind: m.kind,
        model_name: m.modelName,
        served_model_name: m.servedModelName,
        endpoint_url: m.endpointUrl,
        api: m.api,
        credential_id: m.credentialId,
        max_model_len: m.maxModelLen,
        /** The context the workflow checks token lengths against: max_model_len, else the model's own. */
        context_length: m.maxModelLen ?? sim.max_context ?? null,
        simulator: sim,
        description: m.description,
        created_at: iso(m.createdAt),
        updated_at: iso(m.updatedAt),
    };
}
export class ModelRegistry {
    db;
    credentialExists;
    constructor(db, credentialExists) {
        this.db = db;
        this.credentialExists = credentialExists;
    }
    async create(input) {
        const warnings = [];
        if (input.kind === 'cloud') {
            if (!input.endpoint_url)
                throw unprocessable(['body', 'endpoint_url'], 'a cloud model needs endpoint_url (an OpenAI-compatible base URL)', 'missing');
        }
        else {
            if (input.endpoint_url)
                throw unprocessable(['body', 'endpoint_url'], 'a served model is deployed by BenchOps: its endpoint is the deployment\'s (leave endpoint_url out, or use kind cloud)');
            if (input.credential_id)
                throw unprocessable(['body', 'credential_id'], 'a served model needs no credential (kind cloud models do)');
            if (input.simulator?.hardware)
                warnings.push('simulator.hardware is ignored for a served model: it is simulated on the nodes the workflow chooses');
        }
        if (input.credential_id && !(await this.credentialExists(input.credential_id))) {
            throw unprocessable(['body', 'credential_id'], `Credential ${input.credential_id} not found`, 'not_found');
        }
        const shape = shapeOf(input);
        if (input.kind === 'served' && shape.hardware)
            shape.hardware = null;
        if (shape.embedding)
            warnings.push(`${shape.model} is an embedding model: the performance workflow (completions) cannot benchmark it`);
        if (!shape.known)
            warnings.push(`cannot be simulated: ${shape.reason}`);
        if (input.max_model_len && shape.max_context && input.max_model_len > shape.max_context) {
            throw unprocessable(['body', 'max_model_len'], `max_model_len ${input.max_model_len} exceeds ${shape.model}'s context ${shape.max_context}`);
        }
        const [dup] = await this.db.select({ id: models.id }).from(models).where(eq(models.name, input.name));
        if (dup)
            throw conflict(`A model named ${input.name} already exists (${dup.id})`);
        const [row] = await this.db
            .insert(models)
            .values({
            id: randomUUID(),
            name: input.name,
            kind: input.kind,
            modelName: input.model_name,
            servedModelName: input.served_model_name ?? null,
            endpointUrl: input.endpoint_url ? input.endpoint_url.replace(/\/+$/, '') : null,
            api: input.api ?? 'completions',
            credentialId: input.credential_id ?? null,
            maxModelLen: input.max_model_len ?? null,
            simulator: shape,
            description: input.description ?? '',
        })
            .returning();
        return { ...modelView(row), warnings };
    }
    async list(o) {
        const where = o.kind ? eq(models.kind, o.kind) : undefined;
        const rows = await this.db.select().from(models).where(where).orderBy(asc(models.createdAt), asc(models.id)).limit(o.limit).offset(o.offset);
        const [{ n }] = await this.db.select({ n: count() }).from(models).where(where);
        return { items: rows.map(modelView), total: Number(n) };
    }
    async find(id) {
        const [row] = await this.db.select().from(models).where(eq(models.id, id));
        return row;
    }
    async get(id) {
        const row = await this.find(id);
        if (!row)
            throw notFound(`Model ${id} not found`);
        return modelView(row);
    }
    /** A model that names this credential (for delete checks), or null. */
    async usingCredential(credentialId) {
        const [row] = await this.db.select({ id: models.id, name: models.name }).from(models).where(eq(models.credentialId, credentialId)).limit(1);
        return row ? `model ${row.name} (${row.id})` : null;
    }
    async remove(id, inUse) {
        await this.get(id);
        const user = await inUse(id);
        if (user)
            throw conflict(`Model ${id} is used by ${user}`);
        await this.db.delete(models).where(eq(models.id, id));
    }
    async count() {
        const [{ n }] = await this.db.select({ n: count() }).from(models);
        return Number(n);
    }
}
//# sourceMappingURL=models.js.map