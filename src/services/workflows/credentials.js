/**
 * Cloud credentials: API keys for OpenAI-compatible endpoints, stored AES-256-GCM encrypted (core/secrets.ts) and
 * write-only: responses say that a key is set, never what it is. A benchmark job gets the key through a Kubernetes
 * Secret it references (job.ts), never in its manifest's env.
 */
import { randomUUID } from 'node:crypto';
import { asc, count, eq } from 'drizzle-orm';
import { AppError, conflict, notFound } from "../../core/errors.js";
import { iso } from "../../core/http.js";
import { credentials } from "./schema.js";
const COLUMNS = { id: credentials.id, name: credentials.name, provider: credentials.provider, createdAt: credentials.createdAt, updatedAt: credentials.updatedAt };
/** The API view: the key itself never appears. */
export function credentialView(c) {
    return {
        id: c.id,
        credential_id: c.id,
        name: c.name,
        provider: c.provider,
        has_api_key: true,
        created_at: iso(c.createdAt),
        updated_at: iso(c.updatedAt),
    };
}
export class CredentialRegistry {
    db;
    secrets;
    constructor(db, secrets) {
        this.db = db;
        this.secrets = secrets;
    }
    async create(body) {
        const [dup] = await this.db.select({ id: credentials.id }).from(credentials).where(eq(credentials.name, body.name));
        if (dup)
            throw conflict(`A credential named ${body.name} already exists (${dup.id})`);
        const [row] = await this.db
            .insert(credentials)
            .values({ id: randomUUID(), name: body.name, provider: body.provider ?? 'openai-compatible', secretEnc: this.secrets.encrypt(body.api_key) })
            .returning(COLUMNS);
        return credentialView(row);
    }
    /** Replaces the key and/or renames; the old key is gone. */
    async update(id, body) {
        await this.get(id);
        if (body.name) {
            const [dup] = await this.db.select({ id: credentials.id }).from(credentials).where(eq(credentials.name, body.name));
            if (dup && dup.id !== id)
                throw conflict(`A credential named ${body.name} already exists (${dup.id})`);
        }
        const [row] = await this.db
            .update(credentials)
            .set({
            ...(body.name ? { name: body.name } : {}),
            ...(body.provider ? { provider: body.provider } : {}),
            ...(body.api_key ? { secretEnc: this.secrets.encrypt(body.api_key) } : {}),
            updatedAt: new Date(),
        })
            .where(eq(credentials.id, id))
            .returning(COLUMNS);
        return credentialView(row);
    }
    async list(o) {
        const rows = await this.db.select(COLUMNS).from(credentials).orderBy(asc(credentials.createdAt), asc(credentials.id)).limit(o.limit).offset(o.offset);
        const [{ n }] = await this.db.select({ n: count() }).from(credentials);
        return { items: rows.map(credentialView), total: Number(n) };
    }
    async get(id) {
        const [row] = await this.db.select(COLUMNS).from(credentials).where(eq(credentials.id, id));
        if (!row)
            throw notFound(`Credential ${id} not found`);
        return credentialView(row);
    }
    async exists(id) {
        const [row] = await this.db.select({ id: credentials.id }).from(credentials).where(eq(credentials.id, id));
        return !!row;
    }
    /** The clear API key, for building a job's Secret only. */
    async reveal(id) {
        const [row] = await this.db.select({ enc: credentials.secretEnc }).from(credentials).where(eq(credentials.id, id));
        if (!row)
            throw notFound(`Credential ${id} not found`);
        try {
            return this.secrets.decrypt(row.enc);
        }
        catch {
            throw new AppError(503, `Credential ${id} cannot be decrypted (was BENCHOPS_SECRET_KEY changed?)`, 'unavailable');
        }
    }
    async remove(id, inUse) {
        await this.get(id);
        const user = await inUse(id);
        if (user)
            throw conflict(`Credential ${id} is used by ${user}`);
        await this.db.delete(credentials).where(eq(credentials.id, id));
    }
    async count() {
        const [{ n }] = await this.db.select({ n: count() }).from(credentials);
        return Number(n);
    }
}
//# sourceMappingURL=credentials.js.map