/** Raw-socket tests of the emulated server: its chunked HTTP/1.1 SSE responses decoded as the bytes arrive. */

/** Push each read of one response; get back the `data:` payloads of the events that read completed. */
export class ChunkedSseDecoder {
  private raw = Buffer.alloc(0);
  private headersDone = false;
  private sse = '';
  /** The body's last (zero-size) chunk has arrived. */
  ended = false;

  push(bytes: Buffer): string[] {
    this.raw = Buffer.concat([this.raw, bytes]);
    if (!this.headersDone) {
      const end = this.raw.indexOf('\r\n\r\n');
      if (end < 0) return [];
      this.headersDone = true;
      this.raw = this.raw.subarray(end + 4);
    }
    for (;;) {
      const nl = this.raw.indexOf('\r\n');
      if (nl < 0) break;
      const size = parseInt(this.raw.subarray(0, nl).toString('latin1'), 16);
      if (this.raw.length < nl + 2 + size + 2) break;
      if (size === 0) this.ended = true;
      this.sse += this.raw.subarray(nl + 2, nl + 2 + size).toString('utf8');
      this.raw = this.raw.subarray(nl + 2 + size + 2);
    }
    const out: string[] = [];
    let cut: number;
    while ((cut = this.sse.indexOf('\n\n')) >= 0) {
      const e = this.sse.slice(0, cut);
      this.sse = this.sse.slice(cut + 2);
      if (e.startsWith('data: ')) out.push(e.slice(6));
    }
    return out;
  }
}
