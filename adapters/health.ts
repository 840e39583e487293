import type { IncomingMessage, ServerResponse } from 'node:http';

/** What /healthz reports on: whether the bot is draining, and whether PostgreSQL answers. */
export interface HealthProbe {
  draining(): boolean;
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  pingDatabase(): Promise<unknown>;
}

/** A load balancer gives up on a probe after a few seconds; answer before it does. */
export const HEALTH_DB_TIMEOUT_MS = 3000;

/** 200 `ok`, or 503 with the reason: `draining` while shutting down, `database unavailable`. */
export async function healthStatus(probe: HealthProbe, timeoutMs = HEALTH_DB_TIMEOUT_MS): Promise<{ status: 200 | 503; body: string }> {
  if (probe.draining()) return { status: 503, body: 'draining' };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([probe.pingDatabase(), new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs)))]);
  } catch {
    return { status: 503, body: 'database unavailable' };
  } finally {
    clearTimeout(timer);
  }
  // Draining may have begun while the database was asked.
  return probe.draining() ? { status: 503, body: 'draining' } : { status: 200, body: 'ok' };
}

/** The one `GET /healthz` handler, for the Slack receiver's route and the plain health server alike. */
export function healthHandler(probe: HealthProbe): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    void healthStatus(probe).then(({ status, body }) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(body);
    });
  };
}
