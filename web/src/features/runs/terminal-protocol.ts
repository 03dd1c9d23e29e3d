/**
 * The deployer's terminal WebSocket protocol (src/services/deployer/terminal.ts) as the browser speaks it, and the
 * line mode used when the shell has no TTY (`connected` says `tty: false`: a local executor on a host without
 * util-linux `script` reads plain pipes, nothing echoes what is typed, so the page echoes it and sends whole lines, as
 * a terminal's cooked mode would).
 */

export type ServerMessage =
  | { type: 'connected'; session_id: string; pod_name: string; container_name: string; shell: string; tty?: boolean }
  | { type: 'output' | 'error_output'; data: string }
  | { type: 'error'; message: string }
  | { type: 'pong' };

export type ClientMessage = { type: 'input'; data: string } | { type: 'resize'; rows: number; cols: number } | { type: 'ping' };

/** A frame from the server, or null when it is not one of the protocol's messages. */
export function parseServerMessage(raw: string): ServerMessage | null {
  let m: any;
  try {
    m = JSON.parse(raw);
  } catch {
    return null;
  }
  if (m?.type === 'output' || m?.type === 'error_output') return typeof m.data === 'string' ? m : null;
  if (m?.type === 'error') return { type: 'error', message: String(m.message ?? 'terminal error') };
  if (m?.type === 'connected' || m?.type === 'pong') return m;
  return null;
}

/** What to show on screen and what to send after a keystroke in line mode. */
export interface LineStep {
  echo: string;
  send: string[];
}

/** Cooked-mode editing: printable characters echo and collect, backspace erases, Enter sends the line. */
export class LineEditor {
  private line = '';

  /** The line typed so far (not sent yet). */
  get pending(): string {
    return this.line;
  }

  feed(data: string): LineStep {
    let echo = '';
    const send: string[] = [];
    // arrow keys and the like: no line history or cursor movement in line mode
    if (data.startsWith('\x1b')) return { echo, send };
    for (const ch of data) {
      if (ch === '\r' || ch === '\n') {
        send.push(`${this.line}\n`);
        echo += '\r\n';
        this.line = '';
      } else if (ch === '\x7f' || ch === '\b') {
        if (this.line) {
          this.line = this.line.slice(0, -1);
          echo += '\b \b';
        }
      } else if (ch === '\x03') {
        // no TTY: Ctrl-C cannot interrupt anything, it drops the line being typed
        echo += '^C\r\n';
        this.line = '';
      } else if (ch === '\x04') {
        if (!this.line) send.push('exit\n');
      } else if (ch >= ' ') {
        this.line += ch;
        echo += ch;
      }
    }
    return { echo, send };
  }
}

/** The subprotocols a terminal WebSocket offers: `benchops`, and the bearer token as `benchops.bearer.<base64url>`. */
export function socketProtocols(token: string | null): string[] | undefined {
  if (!token) return undefined;
  const bytes = new TextEncoder().encode(token);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  const b64url = btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return ['benchops', `benchops.bearer.${b64url}`];
}
