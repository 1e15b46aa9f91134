// The web console (web/, built by Vite into web/dist) served at `/`, same origin as the API: its
// hashed assets cached for good, index.html for every client route. Paths of the API and the
// service's own endpoints are never answered with the console.
import path from 'node:path';
import { existsSync } from 'node:fs';
import compression from 'compression';
import express, { Router } from 'express';

/** Paths the console's fallback must leave to the API (a 404 there is the API's JSON 404). */
const SERVICE_PATHS = /^\/(v1|webhooks|health|openapi\.json|docs|metrics|codec)(\/|$)/;

// Vite emits no inline scripts; the console talks only to its own origin. Inline styles are allowed:
// React Aria injects small <style> elements (scroll locking under dialogs, touch-action), and
// styles cannot run code.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "connect-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function consoleBuilt(distDir: string): boolean {
  return existsSync(path.join(distDir, 'index.html'));
}

export function consoleRouter(distDir: string): Router {
  const router = Router();
  // Compressed here only: static files carry no secrets, so no BREACH-style exposure of API answers.
  router.use(compression());
  router.use(
    '/assets',
    express.static(path.join(distDir, 'assets'), {
      immutable: true,
      maxAge: '365d',
      fallthrough: false,
      index: false,
    }),
  );
  router.use(express.static(distDir, { index: false, maxAge: 0 }));
  router.get(/.*/, (req, res, next) => {
    if (SERVICE_PATHS.test(req.path) || !req.accepts('html')) return next();
    res.set({
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
    });
    res.sendFile(path.join(distDir, 'index.html'), (error) => error && next(error));
  });
  return router;
}
