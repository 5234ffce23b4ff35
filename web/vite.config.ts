import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The UI is built into web/dist and served by the hub at `/`; `vite dev` proxies the API to a local hub.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    host: '127.0.0.1',
    proxy: { '/api': 'http://127.0.0.1:7400', '/healthz': 'http://127.0.0.1:7400' },
  },
});
