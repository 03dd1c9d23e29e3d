/**
 * A run's logs as the job prints them: the follow stream shown line by line, auto-scrolling while the box is at its
 * bottom (scrolling up stops it, scrolling back down or "Follow" resumes), a search that highlights and counts matches
 * (and can show only the matching lines). When the stream ends while the run still runs, it reconnects; once the run
 * has ended the page shows the deployer's log record instead (lines prefixed with their pod, and the failure reasons).
 */
import { Badge, Button, Checkbox, Group, Stack, Text, TextInput } from '@mantine/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { deployer, unwrapAs } from '../../api/client';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { atBottom, followLogs, LineBuffer, MAX_LINES, matchingLines, splitByTerm } from './logs';

export function LiveLogs({ job, namespace, running }: { job: string; namespace?: string; running: boolean }) {
  const [snap, setSnap] = useState<{ lines: string[]; complete: number; dropped: number }>({ lines: [], complete: 0, dropped: 0 });
  const [streaming, setStreaming] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [follow, setFollow] = useState(true);
  const [term, setTerm] = useState('');
  const [onlyMatches, setOnlyMatches] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const runningRef = useRef(running);
  useEffect(() => {
    runningRef.current = running;
  }, [running]);

  useEffect(() => {
    const ac = new AbortController();
    let frame = 0;
    let buf = new LineBuffer();
    // at most one render per animation frame however fast the lines come
    const changed = () => {
      if (!frame) frame = requestAnimationFrame(() => ((frame = 0), setSnap({ lines: buf.all(), complete: buf.lines.length, dropped: buf.dropped })));
    };
    const connect = async () => {
      for (let attempt = 0; !ac.signal.aborted; attempt++) {
        // a reconnect starts over from the tail: the buffer is rebuilt rather than doubled
        buf = new LineBuffer();
        changed();
        setStreaming(true);
        try {
          await followLogs({ job, namespace, tailLines: MAX_LINES, signal: ac.signal, onText: (t) => buf.push(t) && changed() });
          setError(null);
        } catch (e) {
          if (ac.signal.aborted) return;
          setError(e);
        }
        setStreaming(false);
        if (!runningRef.current) return;
        await new Promise((r) => setTimeout(r, Math.min(5_000, 1_000 * (attempt + 1))));
      }
    };
    // an ended run: the deployer's log record (each line with its pod, then why a pod or the job failed)
    const record = async () => {
      setStreaming(true);
      try {
        const r = await unwrapAs<{ logs: string[] }>(deployer.GET('/jobs/{job_name}/logs', { params: { path: { job_name: job }, query: { namespace, tail_lines: MAX_LINES } } }));
        if (ac.signal.aborted) return;
        buf = new LineBuffer();
        buf.push(r.logs.map((l) => `${l}\n`).join(''));
        changed();
        setError(null);
      } catch (e) {
        if (!ac.signal.aborted) setError(e);
      }
      setStreaming(false);
    };
    void (running ? connect() : record());
    return () => {
      ac.abort();
      cancelAnimationFrame(frame);
    };
  }, [job, namespace, running]);

  // new lines: stay at the bottom when following
  const lines = snap.lines;
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  });
  const onScroll = useCallback(() => {
    if (box.current) setFollow(atBottom(box.current));
  }, []);
  const toBottom = () => {
    setFollow(true);
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  };

  const hits = matchingLines(lines, term);
  const shown = onlyMatches && term.trim() ? hits : lines.map((_, i) => i);
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Group gap="xs">
          <TextInput size="xs" placeholder="Search the logs" value={term} onChange={(e) => setTerm(e.currentTarget.value)} data-testid="logs-search" w={260} />
          {term.trim() && (
            <Text size="xs" data-testid="logs-matches">
              {hits.length} matching line{hits.length === 1 ? '' : 's'}
            </Text>
          )}
          <Checkbox size="xs" label="Only matching lines" checked={onlyMatches} onChange={(e) => setOnlyMatches(e.currentTarget.checked)} />
        </Group>
        <Group gap="xs">
          <Text size="xs" c="dimmed" data-testid="logs-count">
            {snap.complete} lines{snap.dropped ? ` (${snap.dropped} older dropped)` : ''}
          </Text>
          {streaming && running && (
            <Badge size="sm" color="blue" variant="dot" data-testid="logs-live">
              live
            </Badge>
          )}
          <Button size="compact-xs" variant={follow ? 'light' : 'filled'} onClick={toBottom} data-testid="logs-follow" data-following={follow}>
            {follow ? 'Following' : 'Follow (jump to the end)'}
          </Button>
        </Group>
      </Group>
      <ErrorAlert error={error} />
      <div
        ref={box}
        onScroll={onScroll}
        data-testid="run-logs"
        style={{ margin: 0, height: '50vh', overflow: 'auto', whiteSpace: 'pre-wrap', fontFamily: 'var(--mantine-font-family-monospace)', background: 'var(--mantine-color-dark-8)', color: 'var(--mantine-color-gray-2)', padding: 10, fontSize: 12, borderRadius: 4 }}
      >
        {lines.length === 0 && <span>{streaming ? 'Waiting for output…' : '(no output)'}</span>}
        {shown.map((i) => (
          <div key={i} data-testid="log-line">
            {splitByTerm(lines[i], term).map((p, k) => (p.hit ? <mark key={k}>{p.text}</mark> : <span key={k}>{p.text}</span>))}
          </div>
        ))}
      </div>
    </Stack>
  );
}
