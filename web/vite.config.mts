// The web console's build (served by the API at `/`) and its dev server (`npm run web:dev`): hot
// reload, with the API's paths proxied to a running service (CONSOLE_API_URL, default :3000) so
// the browser sees one origin, as in production (the session cookie is SameSite=Strict).
import optimizeLocales from '@react-aria/optimize-locales-plugin';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.CONSOLE_API_URL ?? 'http://127.0.0.1:3000';
const proxied = ['/v1', '/openapi.json', '/docs', '/health', '/webhooks'];

export default defineConfig({
  root: import.meta.dirname,
  // The console is written in English: React Aria's built-in strings ("Clear", "Show suggestions", …)
  // ship in English only instead of 30-odd languages nobody here reads.
  plugins: [react(), optimizeLocales.vite({ locales: ['en'] })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Budget checked by the browser tests: the first screen loads at most 250 KB of gzipped JS.
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: Object.fromEntries(proxied.map((path) => [path, { target: api }])),
  },
});
