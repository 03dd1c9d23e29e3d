/** Download buttons for a page's data (CSV, JSON): built in the browser from what the page already holds. */
import { Button, Group } from '@mantine/core';

export interface ExportItem {
  label: string;
  filename: string;
  mime: string;
  /** Built on click, so large exports cost nothing until asked for. */
  content: () => string;
}

/** Saves `text` as a file named `filename`. */
export function download(filename: string, mime: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // revoked after the click has been handled: revoking at once can cancel the download in some browsers
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name from parts: letters, digits, dot, dash and underscore only. */
export function fileName(...parts: string[]): string {
  return parts
    .join('-')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/_+/g, '_')
    .slice(0, 120);
}

export function ExportButtons({ items }: { items: ExportItem[] }) {
  return (
    <Group gap="xs">
      {items.map((it) => (
        <Button key={it.label} size="xs" variant="default" onClick={() => download(it.filename, it.mime, it.content())} data-testid={`export-${it.label.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`}>
          {it.label}
        </Button>
      ))}
    </Group>
  );
}

export const CSV = 'text/csv;charset=utf-8';
export const JSON_MIME = 'application/json';
