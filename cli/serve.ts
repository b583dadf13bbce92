// `planc explain --serve`: the explain page (dist/web/planc-explain.html,
// built by scripts/build-web.mjs from cli/web) over http on 127.0.0.1, for
// browsers that will not run a page opened from disk. The page is one
// self-contained file and plans in the browser: this server only hands it
// out, and stops on SIGINT (or SIGTERM). Imported only when --serve is given.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PlancError } from '../schemas/error.js';

// Bundled, this module is a chunk in dist/; run from source (tsx), it is cli/serve.ts.
const CANDIDATES = ['./web/planc-explain.html', '../dist/web/planc-explain.html'];
const PATHS = new Set(['/', '/index.html', '/planc-explain.html']);
export const HOST = '127.0.0.1';

/** Where the built page is; not-found (with how to build it) when it is not. */
export function pagePath(): string {
  const paths = CANDIDATES.map((c) => fileURLToPath(new URL(c, import.meta.url)));
  const found = paths.find((p) => existsSync(p));
  if (!found) throw new PlancError('not-found', 'the explain page is not built: run `node scripts/build.mjs` (or npm run build)', { file: paths[0] });
  return found;
}

export interface ServeOptions {
  port: number;
  /** Where the URL line goes (default: stdout). */
  print?: (line: string) => void;
  /** Stops the server like SIGINT does. */
  signal?: AbortSignal;
}

/** Serve the page until SIGINT, SIGTERM or `signal`; resolves once the server is closed. */
export async function serveExplainPage(opts: ServeOptions): Promise<void> {
  const { port } = opts;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PlancError('invalid-argument', `--port must be 0 … 65535, got ${port}`, { where: '--port' });
  const path = pagePath();
  const server = createServer((req, res) => handle(req, res, path));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new PlancError('system', `port ${port} on ${HOST} is in use: pick another with --port (0 picks a free one)`, { where: '--port', errno: e.errno }) : e),
    );
    server.listen(port, HOST, resolve);
  });
  const url = `http://${HOST}:${(server.address() as AddressInfo).port}/`;
  (opts.print ?? ((l) => process.stdout.write(l + '\n')))(`planc explain: serving the explain page at ${url} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      opts.signal?.removeEventListener('abort', stop);
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (opts.signal?.aborted) stop();
    else opts.signal?.addEventListener('abort', stop);
  });
}

function handle(req: IncomingMessage, res: ServerResponse, path: string): void {
  const common = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...common, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return;
  }
  const pathname = new URL(req.url ?? '/', `http://${HOST}`).pathname;
  if (!PATHS.has(pathname)) {
    res.writeHead(404, { ...common, 'content-type': 'text/plain; charset=utf-8' }).end('not found: the explain page is at /\n');
    return;
  }
  let page: Buffer;
  try {
    // Read per request, so a rebuilt page is served without a restart.
    page = readFileSync(path);
  } catch (e) {
    res.writeHead(500, { ...common, 'content-type': 'text/plain; charset=utf-8' }).end(`cannot read ${path}: ${(e as Error).message}\n`);
    return;
  }
  // The page's own <meta> CSP allows only its inlined script and style; framing can only be refused by a header.
  res.writeHead(200, { ...common, 'content-type': 'text/html; charset=utf-8', 'content-length': page.length, 'content-security-policy': "frame-ancestors 'none'" });
  res.end(req.method === 'HEAD' ? undefined : page);
}
