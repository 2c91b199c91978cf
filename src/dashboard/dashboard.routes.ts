import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

/**
 * No inline script or style anywhere, nothing from another origin, no framing. `connect-src 'self'` covers the
 * same-origin `ws:`/`wss:` socket in every current browser (CSP Level 3), so no other host can be reached.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  // The login form is sent by script; should the script not load, the browser must not put the password in a URL.
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  file: string;
  type: string;
}

/** Copied to dist/ by `npm run build`, so this path is the same beside the source and beside the build. */
const PUBLIC_DIR = path.join(__dirname, 'public');

/** The browser build graphql-ws ships, served as is: no CDN, no bundler. */
const GRAPHQL_WS_UMD = path.join(path.dirname(require.resolve('graphql-ws')), '..', 'umd', 'graphql-ws.min.js');

// A fixed list, not a directory: no request path ever reaches the file system.
const ASSETS: Record<string, Asset> = {
  '/dashboard': { file: path.join(PUBLIC_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/dashboard/dashboard.css': { file: path.join(PUBLIC_DIR, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  '/dashboard/dashboard.js': { file: path.join(PUBLIC_DIR, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  '/dashboard/session.js': { file: path.join(PUBLIC_DIR, 'session.js'), type: 'text/javascript; charset=utf-8' },
  '/dashboard/render.js': { file: path.join(PUBLIC_DIR, 'render.js'), type: 'text/javascript; charset=utf-8' },
  '/dashboard/vendor/graphql-ws.min.js': { file: GRAPHQL_WS_UMD, type: 'text/javascript; charset=utf-8' },
};

/** The live dashboard (issue 7): a public page whose every data call carries the signed-in user's token. */
export function dashboardRoutes(app: FastifyInstance): void {
  for (const [url, asset] of Object.entries(ASSETS)) {
    // Read once at start-up: a missing file stops the api instead of answering 500 later.
    const body = readFileSync(asset.file);
    app.get(url, { config: { public: true } }, (_request, reply) =>
      reply
        .header('content-type', asset.type)
        .header('content-security-policy', DASHBOARD_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cross-origin-opener-policy', 'same-origin')
        // Small files: always revalidate, so a deploy is picked up on the next load.
        .header('cache-control', 'no-cache')
        .send(body),
    );
  }
}
