/** A small "try it" panel on a running model: one streamed chat request through the gateway, with TTFT and tokens/s. */
import { Button, Group, NumberInput, SimpleGrid, Stack, Text, Textarea } from '@mantine/core';
import { useRef, useState } from 'react';
import { ErrorAlert } from '../../shell/ErrorDisplay';
import { tryChat, type TryItFigures } from './tryit';

const fmtMs = (v: number | null) => (v === null ? '—' : `${v.toFixed(0)} ms`);

export function TryIt({ model }: { model: string }) {
  const [prompt, setPrompt] = useState('Explain in two sentences what a KV cache is.');
  const [maxTokens, setMaxTokens] = useState<number | string>(64);
  const [answer, setAnswer] = useState('');
  const [result, setResult] = useState<TryItFigures | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const ac = useRef<AbortController | null>(null);

  const send = async () => {
    ac.current?.abort();
    const c = new AbortController();
    ac.current = c;
    setBusy(true);
    setAnswer('');
    setResult(null);
    setError(null);
    try {
      const n = Math.min(2048, Math.max(1, Number(maxTokens) || 64));
      setResult(await tryChat({ model, prompt, maxTokens: n, signal: c.signal, onText: (t) => setAnswer((a) => a + t) }));
    } catch (e) {
      if (!c.signal.aborted) setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack gap="xs" data-testid="tryit" data-model={model}>
      <Text size="sm" c="dimmed">
        One streamed <code>/v1/chat/completions</code> request to <b>{model}</b> through this gateway.
      </Text>
      <Textarea value={prompt} onChange={(e) => setPrompt(e.currentTarget.value)} autosize minRows={2} maxRows={6} data-testid="tryit-prompt" />
      <Group align="flex-end">
        <NumberInput label="Max tokens" value={maxTokens} onChange={setMaxTokens} min={1} max={2048} w={120} data-testid="tryit-max-tokens" />
        <Button onClick={() => void send()} loading={busy} disabled={!prompt.trim()} data-testid="tryit-send">
          Send
        </Button>
      </Group>
      <ErrorAlert error={error} />
      {(answer || busy) && (
        <Text size="sm" style={{ whiteSpace: 'pre-wrap', background: 'var(--mantine-color-gray-0)', padding: 8, borderRadius: 4 }} data-testid="tryit-answer">
          {answer || '…'}
        </Text>
      )}
      {result && (
        <SimpleGrid cols={4} data-testid="tryit-figures">
          <Figure label="Time to first token" value={fmtMs(result.ttftMs)} testid="tryit-ttft" raw={result.ttftMs} />
          <Figure label={result.tokensFromUsage ? 'Output tokens (usage)' : 'Output tokens (events)'} value={String(result.tokens)} testid="tryit-tokens" raw={result.tokens} />
          <Figure label="Decode tokens/s" value={result.decodeTokensPerS === null ? '—' : result.decodeTokensPerS.toFixed(1)} testid="tryit-tps" raw={result.decodeTokensPerS} />
          <Figure label="End to end" value={fmtMs(result.e2eMs)} testid="tryit-e2e" raw={result.e2eMs} />
        </SimpleGrid>
      )}
    </Stack>
  );
}

function Figure({ label, value, testid, raw }: { label: string; value: string; testid: string; raw: number | null }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={600} data-testid={testid} data-value={raw ?? ''}>
        {value}
      </Text>
    </div>
  );
}
