/**
 * A terminal in the run's pod: xterm.js over the deployer's WebSocket (`POST /jobs/{job}/terminal` opens a session,
 * its websocket_url attaches). The terminal fits its box and sends `resize`; a `ping` every 20 s keeps proxies from
 * closing an idle socket; a dropped connection reconnects to the same session (a new one when it has ended).
 * Without a TTY (the local executor) the page echoes and sends whole lines (terminal-protocol.ts).
 */
import { Badge, Button, Group, Stack, Switch, Text } from '@mantine/core';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal as XTerm } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { deployer, unwrapAs } from '../../api/client';
import { useDenied } from '../../auth/session';
import { ApiError } from '../../api/errors';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { LineEditor, parseServerMessage, socketProtocols, type ClientMessage } from './terminal-protocol';
import { getToken } from '../../auth/token';

type State = 'idle' | 'opening' | 'connected' | 'reconnecting' | 'closed';
const MAX_RECONNECTS = 5;

export function RunTerminal({ job, namespace, lineMode: lineModeDefault }: { job: string; namespace?: string; lineMode: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const [open, setOpen] = useState(false);
  const [state, setState] = useState<State>('idle');
  const [error, setError] = useState<unknown>(null);
  const [lineMode, setLineMode] = useState(lineModeDefault);
  const [shell, setShell] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const denied = useDenied('operator');

  useEffect(() => {
    if (!open) return;
    const term = new XTerm({ convertEol: lineMode, fontSize: 13, cursorBlink: true, theme: { background: '#1a1b1e' } });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host.current!);
    fit.fit();
    term.focus();
    const editor = new LineEditor();
    let ws: WebSocket | null = null;
    let stopped = false;
    let reconnects = 0;
    let sessionUrl: string | null = null;
    let ping: ReturnType<typeof setInterval> | undefined;
    const send = (m: ClientMessage) => {
      if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
    };

    // line mode: a plain POSIX shell (bash's interactive start-up expects a terminal)
    const newSession = async () => {
      const s = await unwrapAs<{ websocket_url: string }>(
        deployer.POST('/jobs/{job_name}/terminal', { params: { path: { job_name: job } }, body: { ...(namespace ? { namespace } : {}), ...(lineMode ? { shell: '/bin/sh' } : {}) } }),
      );
      return s.websocket_url;
    };
    const connect = async () => {
      setState(reconnects ? 'reconnecting' : 'opening');
      try {
        sessionUrl ??= await newSession();
      } catch (e) {
        setError(e);
        setState('closed');
        return;
      }
      if (stopped) return;
      // the session's URL names the host the API was reached at; the page's own origin is what the browser can reach
      const u = new URL(sessionUrl);
      const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${u.pathname}`;
      // a browser cannot put a bearer token on a WebSocket upgrade: it goes as a subprotocol the server never echoes
      ws = new WebSocket(url, socketProtocols(getToken()));
      ws.onmessage = (ev) => {
        const m = parseServerMessage(String(ev.data));
        if (!m) return;
        if (m.type === 'connected') {
          reconnects = 0;
          setError(null);
          setShell(`${m.shell} in ${m.pod_name}/${m.container_name}`);
          setState('connected');
          // a shell without a terminal: the page edits lines itself (this makes a new terminal and session)
          if (m.tty === false && !lineMode) {
            setLineMode(true);
            return;
          }
          send({ type: 'resize', rows: term.rows, cols: term.cols });
        } else if (m.type === 'output' || m.type === 'error_output') term.write(m.data);
        else if (m.type === 'error') {
          term.write(`\r\n\x1b[31m${m.message}\x1b[0m\r\n`);
          setError(new ApiError(0, m.message));
        }
      };
      ws.onclose = (ev) => {
        clearInterval(ping);
        if (stopped) return;
        // 4404: the session has ended (shell exited or stopped): the next attempt opens a new one
        if (ev.code === 4404 || ev.reason === 'shell exited') sessionUrl = null;
        if (ev.code === 4403 || reconnects >= MAX_RECONNECTS) {
          setState('closed');
          term.write('\r\n\x1b[33m[disconnected]\x1b[0m\r\n');
          return;
        }
        reconnects++;
        setState('reconnecting');
        setTimeout(() => void connect(), 500 * reconnects);
      };
      ping = setInterval(() => send({ type: 'ping' }), 20_000);
    };

    const input = term.onData((data) => {
      if (!lineMode) return send({ type: 'input', data });
      const step = editor.feed(data);
      if (step.echo) term.write(step.echo);
      for (const line of step.send) send({ type: 'input', data: line });
    });
    const resized = term.onResize(({ rows, cols }) => send({ type: 'resize', rows, cols }));
    const ro = new ResizeObserver(() => fit.fit());
    ro.observe(host.current!);
    void connect();
    return () => {
      stopped = true;
      clearInterval(ping);
      ro.disconnect();
      input.dispose();
      resized.dispose();
      ws?.close();
      term.dispose();
    };
  }, [open, job, namespace, lineMode, generation]);

  if (!open) {
    return (
      <Stack align="flex-start">
        <Text size="sm" c="dimmed">
          A shell in the run&apos;s pod (the operator role; on the local executor, a shell on this host: admin).
        </Text>
        <Button onClick={() => setOpen(true)} data-testid="terminal-open" disabled={!!denied} title={denied ?? undefined}>
          Open a terminal
        </Button>
        {denied && (
          <Text size="xs" c="orange">
            {denied}
          </Text>
        )}
      </Stack>
    );
  }
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Group gap="xs">
          <Badge color={state === 'connected' ? 'teal' : state === 'closed' ? 'red' : 'yellow'} data-testid="terminal-state">
            {state}
          </Badge>
          {shell && (
            <Text size="xs" c="dimmed">
              {shell}
            </Text>
          )}
        </Group>
        <Group gap="xs">
          <Switch
            size="xs"
            label="Line mode (no TTY: echo here, send on Enter)"
            checked={lineMode}
            onChange={(e) => setLineMode(e.currentTarget.checked)}
          />
          <Button size="compact-xs" variant="light" onClick={() => setGeneration((g) => g + 1)} data-testid="terminal-reconnect">
            Reconnect
          </Button>
          <Button size="compact-xs" variant="default" onClick={() => setOpen(false)}>
            Close
          </Button>
        </Group>
      </Group>
      <ErrorAlert error={error} />
      <div ref={host} data-testid="terminal" style={{ height: '45vh', background: '#1a1b1e', padding: 4, borderRadius: 4 }} />
    </Stack>
  );
}
