/**
 * A lean HTTP/1.1 client for plain-http endpoints: keep-alive sockets from a small pool, the request written as one
 * string or buffer, the response parsed in place (status line, headers, Content-Length or chunked body) and its body
 * bytes handed on where they lie in the connection's one read buffer (no string, Buffer or stream object per read).
 * node:http builds a ClientRequest, an IncomingMessage and a Readable stream per request and runs every chunk through
 * them; for a load generator that is most of its CPU per request (issue 16: 11.5× wrk's CPU per request). HTTPS and
 * anything unusual (1xx answers, upgrades) stay with node:http.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

/** What a response delivers to its request. */
export interface FastHandlers {
  /** The request was written to a connected socket (performance.now() ms). */
  onSent(nowMs: number): void;
  /** Headers parsed; `status` is the HTTP status. */
  onHead(status: number): void;
  /**
   * Body bytes buf[start, end) of one socket read (chunked framing removed), with that read's timestamp. `buf` is the
   * connection's read buffer: valid during the call only (copy what you keep); a multi-byte character may be split.
   * `last`: these bytes complete a Content-Length body (onEnd follows within the same read), so a body that came in
   * one read can be read in place.
   */
  onBody(buf: Buffer, start: number, end: number, nowMs: number, last: boolean): void;
  /** The body is complete. */
  onEnd(): void;
  /** The connection failed before the body was complete. */
  onError(message: string): void;
}

/** An in-flight exchange: its handlers, where it runs, and how to cancel it (a class: no closures per request). */
class Exchange {
  /** Response bytes have been seen (a reused socket that closes before any is retried once). */
  seen = false;
  retried = false;
  cancelled = false;
  conn: Conn | null = null;

  constructor(
    readonly pool: FastPool,
    readonly raw: string | Buffer,
    readonly h: FastHandlers,
  ) {}

  /** A connection is ours: send (or give it back when cancelled meanwhile). */
  go(c: Conn): void {
    if (this.cancelled) return this.pool.release(c);
    this.conn = c;
    c.send(this, this.raw);
  }

  /** The server closed an idle keep-alive socket under us: try once more on a fresh one. */
  retry(): boolean {
    if (this.retried) return false;
    this.retried = true;
    this.pool.acquire(this, true);
    return true;
  }

  /** Cancels the exchange (its connection, if it has one, is closed). */
  cancel(): void {
    this.cancelled = true;
    const c = this.conn;
    if (c && c.ex === this) {
      c.ex = null;
      this.pool.drop(c);
      c.sock.destroy();
    }
  }
}

/** What `FastPool.request` returns. */
export interface FastExchange {
  cancel(): void;
}

const enum St {
  Head,
  ChunkSize,
  ChunkData,
  ChunkCrlf,
  Trailer,
  Length,
  UntilClose,
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const H_LENGTH = Buffer.from('content-length');
const H_TE = Buffer.from('transfer-encoding');
const H_CONN = Buffer.from('connection');

/** Whether the header line buf[p, q) is a name compared case-insensitively (and spaces around it ignored). */
function nameIs(buf: Buffer, p: number, q: number, name: Buffer): boolean {
  while (p < q && (buf[p] === 32 || buf[p] === 9)) p++;
  if (p + name.length > q) return false;
  for (let k = 0; k < name.length; k++) if ((buf[p + k] | 0x20) !== name[k] && !(name[k] === 45 && buf[p + k] === 45)) return false;
  let r = p + name.length;
  while (r < q && (buf[r] === 32 || buf[r] === 9)) r++;
  return buf[r] === 58;
}

/** Which framing header the line buf[p, q) is: 1 Content-Length, 2 Transfer-Encoding, 3 Connection, 0 another. */
function headerOf(buf: Buffer, p: number, q: number): number {
  while (p < q && (buf[p] === 32 || buf[p] === 9)) p++;
  const c = buf[p] | 0x20;
  if (c === 99 /* c */) return nameIs(buf, p, q, H_LENGTH) ? 1 : nameIs(buf, p, q, H_CONN) ? 3 : 0;
  if (c === 116 /* t */) return nameIs(buf, p, q, H_TE) ? 2 : 0;
  return 0;
}

/** Index of the CRLF CRLF that ends a head in buf[from, to), or -1. */
function headEnd(buf: Buffer, from: number, to: number): number {
  for (let k = from; k + 3 < to; k++) if (buf[k] === 13 && buf[k + 1] === 10 && buf[k + 2] === 13 && buf[k + 3] === 10) return k;
  return -1;
}

/** Index of the next CRLF in buf[from, end), or `end`. */
function lineEnd(buf: Buffer, from: number, end: number): number {
  for (let k = from; k < end; k++) if (buf[k] === 13 && buf[k + 1] === 10) return k;
  return end;
}

/** A header value buf[p, q) that is a decimal number between optional blanks, or -1 (the caller reads it as text). */
function digitsAt(buf: Buffer, p: number, q: number): number {
  while (p < q && (buf[p] === 32 || buf[p] === 9)) p++;
  while (q > p && (buf[q - 1] === 32 || buf[q - 1] === 9)) q--;
  if (p === q || q - p > 15) return -1;
  let n = 0;
  for (let k = p; k < q; k++) {
    const c = buf[k];
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

/**
 * The read buffer every connection of this thread reads into. Each read is parsed (and what is kept copied out)
 * before its callback returns, and the next read of any socket starts only after that, so one buffer serves them all:
 * 1,024 connections touched 64 MB of their own buffers (page faults, cache and TLB misses on every read, and external
 * memory that made V8 run major GCs mid-run); one stays hot in the cache.
 */
const READ_BUFFER = Buffer.allocUnsafe(65536);

/** One keep-alive connection and its response parser. */
class Conn {
  readonly sock: net.Socket;
  ex: Exchange | null = null;
  private st = St.Head;
  private head: Buffer | null = null;
  private left = 0;
  private close = false;
  reused = false;

  constructor(
    private readonly pool: FastPool,
    host: string,
    port: number,
  ) {
    // `onread`: reads land in the thread's one read buffer and come straight here — no Readable stream push, no Buffer
    // per read, no nextTick per read (the parser copies out what it keeps before the callback returns)
    const buffer = READ_BUFFER;
    this.sock = net.connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer,
        callback: (n: number) => {
          this.onData(buffer, n);
          return true;
        },
      },
    });
    this.sock.once('connect', () => pool.connected(this));
    this.sock.on('error', (e) => this.fail(e.message || String(e)));
    this.sock.on('close', () => {
      // a body without length or chunking ends with the connection
      if (this.ex && this.st === St.UntilClose) this.finish();
      else this.fail('socket closed before the response was complete');
    });
  }

  /** Sends one request on this connection. */
  send(ex: Exchange, raw: string | Buffer): void {
    this.ex = ex;
    this.st = St.Head;
    this.head = null;
    this.close = false;
    if (this.sock.connecting) this.sock.once('connect', () => ex.h.onSent(performance.now()));
    else ex.h.onSent(performance.now());
    this.sock.write(raw);
  }

  private fail(msg: string): void {
    const ex = this.ex;
    this.ex = null;
    this.pool.connected(this);
    this.pool.drop(this);
    if (!ex) return;
    // the server closed an idle keep-alive socket: try a fresh one
    if (ex.seen || !this.reused || !ex.retry()) ex.h.onError(msg);
  }

  private finish(): void {
    const ex = this.ex!;
    this.ex = null;
    ex.h.onEnd();
    if (this.close || this.sock.destroyed) {
      this.pool.drop(this);
      this.sock.destroy();
    } else this.pool.release(this);
  }

  /** Parses the first `len` bytes of the read buffer `b`. */
  private onData(b: Buffer, len: number): void {
    const ex = this.ex;
    if (!ex) {
      // bytes with no request in flight: the connection is out of step; drop it
      this.pool.drop(this);
      this.sock.destroy();
      return;
    }
    ex.seen = true;
    const now = performance.now();
    let i = 0;
    while (i < len && this.ex) {
      switch (this.st) {
        case St.Head: {
          // the common case, a head that lies whole in this read, is scanned in place (no Buffer, no string); a head
          // split over reads is joined first
          const joined = this.head !== null;
          const buf = joined ? Buffer.concat([this.head!, b.subarray(i, len)]) : b;
          const s = joined ? 0 : i;
          const to = joined ? buf.length : len;
          const end = headEnd(buf, s, to);
          if (end < 0) {
            if (to - s > 65536) return this.abort('response headers too large');
            this.head = Buffer.from(buf.subarray(s, to));
            return;
          }
          this.head = null;
          // status line and the three headers that frame the body, read from the bytes (no string per header)
          if (!(end - s >= 12 && buf[s] === 72 && buf[s + 1] === 84 && buf[s + 2] === 84 && buf[s + 3] === 80 && buf[s + 4] === 47 && buf[s + 5] === 49 && buf[s + 6] === 46 && (buf[s + 7] === 48 || buf[s + 7] === 49) && buf[s + 8] === 32 && isDigit(buf[s + 9]) && isDigit(buf[s + 10]) && isDigit(buf[s + 11])))
            return this.abort('malformed HTTP status line');
          const status = (buf[s + 9] - 48) * 100 + (buf[s + 10] - 48) * 10 + (buf[s + 11] - 48);
          if (status < 200) return this.abort(`HTTP ${status} (informational answers are not supported)`);
          let length = -1;
          let chunked = false;
          this.close = buf[s + 7] === 48;
          for (let p = lineEnd(buf, s, end) + 2; p < end; ) {
            const q = lineEnd(buf, p, end);
            const h = headerOf(buf, p, q);
            if (h !== 0) {
              let c = p;
              while (c < q && buf[c] !== 58) c++;
              const n = h === 1 ? digitsAt(buf, c + 1, q) : -1;
              if (n >= 0) length = n;
              else {
                const value = buf.toString('latin1', c + 1, q).trim().toLowerCase();
                if (h === 1) length = Number(value);
                else if (h === 2) chunked = value.split(',').some((x) => x.trim() === 'chunked');
                else this.close = value.includes('close') ? true : value.includes('keep-alive') ? false : this.close;
              }
            }
            p = q + 2;
          }
          // continue in `b` after the head (the head may have begun in an earlier read)
          i = joined ? len - (buf.length - end - 4) : end + 4;
          ex.h.onHead(status);
          if (!this.ex) return;
          if (chunked) this.st = St.ChunkSize;
          else if (length >= 0) {
            this.st = St.Length;
            this.left = length;
            if (length === 0) return this.finish();
          } else {
            this.st = St.UntilClose;
            this.close = true;
          }
          break;
        }
        case St.Length: {
          const n = Math.min(this.left, len - i);
          if (n > 0) ex.h.onBody(b, i, i + n, now, n === this.left);
          i += n;
          this.left -= n;
          if (this.left === 0) {
            if (i < len) this.close = true; // bytes beyond the response: do not reuse this socket
            return this.finish();
          }
          break;
        }
        case St.UntilClose:
          ex.h.onBody(b, i, len, now, false);
          return;
        case St.ChunkSize: {
          // fast path: the size line is complete in this read (hex digits, CRLF), parsed from the bytes
          if (!this.head) {
            let size = 0;
            let k = i;
            for (; k < len; k++) {
              const c = b[k];
              const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
              if (d < 0) break;
              size = size * 16 + d;
            }
            if (k > i && k + 1 < len && b[k] === 13 && b[k + 1] === 10) {
              i = k + 2;
              if (size === 0) this.st = St.Trailer;
              else {
                this.st = St.ChunkData;
                this.left = size;
              }
              break;
            }
          }
          const buf = this.head ? Buffer.concat([this.head, b.subarray(i, len)]) : b.subarray(i, len);
          const nl = buf.indexOf('\r\n');
          if (nl < 0) {
            if (buf.length > 1024) return this.abort('malformed chunk size');
            this.head = Buffer.from(buf);
            return;
          }
          this.head = null;
          const size = parseInt(buf.toString('latin1', 0, nl).split(';')[0], 16);
          if (!Number.isFinite(size) || size < 0) return this.abort('malformed chunk size');
          i = len - (buf.length - nl - 2);
          if (size === 0) this.st = St.Trailer;
          else {
            this.st = St.ChunkData;
            this.left = size;
          }
          break;
        }
        case St.ChunkData: {
          const n = Math.min(this.left, len - i);
          ex.h.onBody(b, i, i + n, now, false);
          i += n;
          this.left -= n;
          if (this.left === 0) {
            this.st = St.ChunkCrlf;
            this.left = 2;
          }
          break;
        }
        case St.ChunkCrlf: {
          const n = Math.min(this.left, len - i);
          i += n;
          this.left -= n;
          if (this.left === 0) this.st = St.ChunkSize;
          break;
        }
        case St.Trailer: {
          // trailers end with an empty line; without trailers that is the CRLF right here
          const buf = this.head ? Buffer.concat([this.head, b.subarray(i, len)]) : b.subarray(i, len);
          const atStart = buf.length >= 2 && buf[0] === 13 && buf[1] === 10;
          const end = atStart ? 0 : buf.indexOf('\r\n\r\n');
          if (end < 0) {
            this.head = Buffer.from(buf);
            return;
          }
          this.head = null;
          const rest = buf.length - (atStart ? 2 : end + 4);
          if (rest > 0) this.close = true; // bytes beyond the response: do not reuse this socket
          return this.finish();
        }
      }
    }
  }

  private abort(msg: string): void {
    const ex = this.ex;
    this.ex = null;
    this.pool.drop(this);
    this.sock.destroy();
    ex?.h.onError(msg);
  }
}

/**
 * Connects a pool has in flight at most (SYN sent, not yet established). A benchmark's first wave asks for all its
 * connections at once; a mature client (Envoy's pending-connection limit, Go's dialer behind MaxConnsPerHost) does not
 * put a thousand SYNs on the wire in one go: a server whose SYN or accept queue is shorter than the burst (511 is the
 * default listen backlog of Node, nginx and many others) drops SYNs, and those clients wait the kernel's 1 s SYN
 * retransmit. Requests beyond it wait for a connect to complete or for a released connection, whichever comes first
 * (their clock runs meanwhile, as vLLM's does while aiohttp connects). On loopback a connect completes in the kernel
 * before the server accepts, so this does not spread a slow server's accepting: that wait is the server's (see
 * bench/loadgen-burst.ts; warm-ups and `preconnect` keep it out of a measurement).
 */
export const MAX_CONNECTING = 256;

/** Keep-alive connections to one host:port, at most `max` at once; requests beyond that wait in order. */
export class FastPool {
  private idle: Conn[] = [];
  private all = new Set<Conn>();
  private waiting: Exchange[] = [];
  private closed = false;
  /** connections whose TCP connect has not completed */
  private pending = new Set<Conn>();
  /** the most connects ever in flight at once */
  peakConnecting = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly max: number,
    private readonly maxConnecting = MAX_CONNECTING,
  ) {}

  /** Open connections (idle or busy). */
  get size(): number {
    return this.all.size;
  }

  /** Idle connections. */
  get idleCount(): number {
    return this.idle.length;
  }

  /** Runs one exchange: `raw` is the whole request (head and body). Returns a handle that cancels it. */
  request(raw: string | Buffer, h: FastHandlers): FastExchange {
    const ex = new Exchange(this, raw, h);
    this.acquire(ex, false);
    return ex;
  }

  /**
   * Gives `ex` a connection: an idle one (unless `fresh`), a new one below the limits (connections, connects in
   * flight), else the next one released or connected.
   */
  acquire(ex: Exchange, fresh: boolean): void {
    if (this.closed) throw new Error('connection pool closed');
    const c = fresh ? undefined : this.idle.pop();
    if (c) return ex.go(c);
    if (this.all.size < this.max && this.pending.size < this.maxConnecting) return ex.go(this.open());
    this.waiting.push(ex);
  }

  private open(): Conn {
    const n = new Conn(this, this.host, this.port);
    this.all.add(n);
    this.pending.add(n);
    if (this.pending.size > this.peakConnecting) this.peakConnecting = this.pending.size;
    return n;
  }

  /** A connect completed (or failed): the next waiter may open one. */
  connected(c: Conn): void {
    if (!this.pending.delete(c)) return;
    this.grow();
  }

  /** Opens connections for waiters while the limits allow. */
  private grow(): void {
    while (!this.closed && this.waiting.length && this.all.size < this.max && this.pending.size < this.maxConnecting) this.waiting.shift()!.go(this.open());
  }

  /** A connection finished its exchange and can take the next one. */
  release(c: Conn): void {
    c.reused = true;
    const w = this.waiting.shift();
    if (w) w.go(c);
    else this.idle.push(c);
  }

  /** A connection is gone (closed, failed or out of step). */
  drop(c: Conn): void {
    this.pending.delete(c);
    if (!this.all.delete(c)) return;
    const k = this.idle.indexOf(c);
    if (k >= 0) this.idle.splice(k, 1);
    // a waiter gets a fresh connection in its place
    this.grow();
  }

  /**
   * Opens connections until the pool holds `n` (at most its limit), each proven by one exchange of `probe` (a small
   * request: the server has accepted the connection and answered on it), at most the connect limit at a time; resolves
   * with the number of open connections. Run before a measurement's time zero, its first wave then finds connected,
   * accepted sockets (vLLM's clock still starts before a connection is acquired).
   */
  async preopen(n: number, probe: string | Buffer): Promise<number> {
    const want = Math.min(n, this.max) - this.all.size;
    let started = 0;
    let failed = 0;
    const one = (): Promise<void> =>
      new Promise<void>((resolve) => {
        const ex = new Exchange(this, probe, {
          onSent: () => {},
          onHead: () => {},
          onBody: () => {},
          onEnd: () => resolve(),
          onError: () => (failed++, resolve()),
        });
        this.acquire(ex, true);
      });
    const lane = async () => {
      while (started < want && !this.closed && failed === 0) {
        started++;
        await one();
      }
    };
    await Promise.all(Array.from({ length: Math.max(0, Math.min(want, this.maxConnecting)) }, lane));
    return this.all.size;
  }

  /** Closes every connection. */
  destroy(): void {
    this.closed = true;
    this.waiting = [];
    for (const c of [...this.all]) {
      this.all.delete(c);
      c.sock.destroy();
    }
    this.pending.clear();
    this.idle = [];
  }
}
