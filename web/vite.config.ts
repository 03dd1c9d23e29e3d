/**
 * Vite build of the BenchOps UI. `npm run dev -w web` serves it with hot reload and proxies the APIs to a running
 * `npm start` (BENCHOPS_GATEWAY_URL, default http://127.0.0.1:8080); `npm run build:web` writes web/dist for the gateway.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const gateway = process.env.BENCHOPS_GATEWAY_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // the chunk graph, for scripts/web-size.mjs (what each page downloads)
    manifest: true,
    // pages are lazy routes: ECharts and CodeMirror load with the first page that uses them, not with the shell
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { '/api': gateway, '/v1': gateway, '/docs': gateway } },
});
