// Builds the UI into web/dist with relative asset URLs (base './') so the app can serve it under
// any path prefix; every API URL is likewise computed relative to the page (src/api/base-url.ts).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
    rollupOptions: {
      input: {
        index: `${root}index.html`,
        terminal: `${root}terminal.html`,
        bench: `${root}bench.html`,
      },
    },
  },
  worker: { format: 'es' },
});
