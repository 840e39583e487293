import type { IncomingMessage, ServerResponse } from 'node:http';

/** An HTTP route, in the shape Bolt's HTTPReceiver takes as a custom route. */
export interface HttpRoute {
  path: string;
  method: string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

/** Dispatches a request to the route with its path and method; false when none matches. */
export function dispatch(routes: HttpRoute[], req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '/').split('?')[0];
  const route = routes.find((r) => r.path === path && r.method.includes(req.method ?? 'GET'));
  if (!route) return false;
  void Promise.resolve(route.handler(req, res)).catch(() => {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('internal error');
  });
  return true;
}

/** Reads a small request body; rejects past `limit` bytes. */
export function readBody(req: IncomingMessage, limit = 4096): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > limit) {
        reject(new Error('request body too large'));
        req.destroy();
      }
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
