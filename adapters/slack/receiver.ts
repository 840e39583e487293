import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTPReceiver, type HTTPReceiverOptions } from '@slack/bolt';
import type { CustomRoute } from '@slack/bolt';

/** Slack's replay window; Bolt rejects timestamps older than this but not ones in the future. */
export const MAX_CLOCK_SKEW_S = 5 * 60;

/** True when the X-Slack-Request-Timestamp header lies more than five minutes ahead of `nowMs`. */
export function isFromTheFuture(header: string | string[] | undefined, nowMs: number): boolean {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined) return false; // Bolt's own verification rejects a missing timestamp.
  const ts = Number(raw);
  return Number.isFinite(ts) && ts > Math.floor(nowMs / 1000) + MAX_CLOCK_SKEW_S;
}

/**
 * Bolt's HTTPReceiver with one more check in front of its signature verification: a
 * request stamped more than five minutes in the future is refused with 401 before any
 * listener runs (a signed request captured now could otherwise be replayed later).
 */
export class FreshRequestReceiver extends HTTPReceiver {
  constructor(options: HTTPReceiverOptions, now: () => number = Date.now) {
    super(options);
    const verifyAndDispatch = this.requestListener;
    this.requestListener = (req: IncomingMessage, res: ServerResponse) => {
      if (req.method === 'POST' && isFromTheFuture(req.headers['x-slack-request-timestamp'], now())) {
        options.logger?.warn('Refused a request whose X-Slack-Request-Timestamp is more than 5 minutes in the future');
        req.resume();
        res.writeHead(401);
        res.end();
        return;
      }
      verifyAndDispatch(req, res);
    };
  }
}

/** `GET /healthz` on Bolt's HTTP server, answered by the bot's one health handler (adapters/health.ts). */
export const healthRoute = (handler: CustomRoute['handler']): CustomRoute => ({ path: '/healthz', method: ['GET'], handler });
