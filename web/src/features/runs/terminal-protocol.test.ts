import { describe, expect, it } from 'vitest';
import { LineEditor, parseServerMessage, socketProtocols } from './terminal-protocol';

describe('terminal protocol', () => {
  it('reads the server frames and rejects what is not one', () => {
    expect(parseServerMessage('{"type":"output","data":"hi\\n"}')).toEqual({ type: 'output', data: 'hi\n' });
    expect(parseServerMessage('{"type":"error"}')).toEqual({ type: 'error', message: 'terminal error' });
    expect(parseServerMessage('{"type":"pong"}')).toEqual({ type: 'pong' });
    expect(parseServerMessage('{"type":"output","data":3}')).toBeNull();
    expect(parseServerMessage('plain text')).toBeNull();
    expect(parseServerMessage('{"type":"other"}')).toBeNull();
  });
});

describe('line mode', () => {
  it('echoes what is typed and sends whole lines on Enter', () => {
    const e = new LineEditor();
    expect(e.feed('ec')).toEqual({ echo: 'ec', send: [] });
    expect(e.feed('hx')).toEqual({ echo: 'hx', send: [] });
    expect(e.feed('\x7f')).toEqual({ echo: '\b \b', send: [] });
    expect(e.feed('o 1\r')).toEqual({ echo: 'o 1\r\n', send: ['echo 1\n'] });
    expect(e.pending).toBe('');
  });
  it('sends each line of a paste, keeps the unfinished rest, and drops a line on Ctrl-C', () => {
    const e = new LineEditor();
    expect(e.feed('ls\npwd\nwho').send).toEqual(['ls\n', 'pwd\n']);
    expect(e.pending).toBe('who');
    expect(e.feed('\x03')).toEqual({ echo: '^C\r\n', send: [] });
    expect(e.pending).toBe('');
    expect(e.feed('\x7f').echo).toBe('');
    expect(e.feed('\x04').send).toEqual(['exit\n']);
  });

  it('offers the token as a base64url subprotocol (any characters; none without a token)', () => {
    expect(socketProtocols(null)).toBeUndefined();
    const [main, bearer] = socketProtocols('tok/en+=ü')!;
    expect(main).toBe('benchops');
    expect(bearer).toMatch(/^benchops\.bearer\.[A-Za-z0-9_-]+$/);
    expect(Buffer.from(bearer.slice('benchops.bearer.'.length), 'base64url').toString('utf8')).toBe('tok/en+=ü');
  });
});
