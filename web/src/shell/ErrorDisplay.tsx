/**
 * How API errors appear: an alert with the status' meaning and the server's message, placed next to the control that
 * caused it; for a 422 the issues that name a form field go to that field (`fieldError`) and the rest to the alert.
 */
import { Alert, Button, Group, Text } from '@mantine/core';
import { ApiError, issueFor, statusTitle } from '../api/errors';

/** The message for input `field` from a failed call's 422, for a Mantine input's `error` prop. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.fieldError(field) : undefined;
}

/** Shows a failed call; `fields` are the names the surrounding form displays itself (left out of the alert). */
export function ErrorAlert({ error, fields = [], onRetry, title }: { error: unknown; fields?: string[]; onRetry?: () => void; title?: string }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  let message = error instanceof Error ? error.message : String(error);
  if (api && api.issues.length) {
    const rest = api.issues.filter((i) => !fields.some((f) => issueFor([i], f)));
    if (!rest.length) return null; // every issue is shown at its field
    message = rest.map((i) => `${i.loc.filter((l) => l !== 'body').join('.') || 'request'}: ${i.msg}`).join('\n');
  }
  return (
    <Alert color={api && api.status < 500 && api.status !== 0 ? 'orange' : 'red'} title={title ?? statusTitle(api?.status ?? 500)} role="alert" data-status={api?.status}>
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
          {message}
        </Text>
        {onRetry && (
          <Button size="xs" variant="light" onClick={onRetry}>
            Retry
          </Button>
        )}
      </Group>
    </Alert>
  );
}
