import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The smallest Slack Web API stand-in `kb serve` needs on 127.0.0.1: auth.test, posting
 * and updating messages, reactions, and response_url posts. Counts calls per method so
 * the benchmark knows when an answer has been delivered.
 */
export class SlackStub {
  readonly counts = new Map<string, number>();
  private server?: Server;
  private base = '';
  private seq = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.body(req).then((raw) => {
        const method = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/api\//, '');
        this.counts.set(method, (this.counts.get(method) ?? 0) + 1);
        const fields = raw.startsWith('{') ? (JSON.parse(raw) as Record<string, string>) : Object.fromEntries(new URLSearchParams(raw));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(this.answer(method, fields)));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get apiUrl(): string {
    return `${this.base}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.base}/respond/${id}`;
  }

  count(method: string): number {
    return this.counts.get(method) ?? 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async body(req: IncomingMessage): Promise<string> {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    return Buffer.concat(parts).toString('utf8');
  }

  private answer(method: string, a: Record<string, string>): Record<string, unknown> {
    const ts = () => `1700000000.${String(++this.seq).padStart(6, '0')}`;
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0BENCH', user: 'kb', team: 'bench' };
      case 'chat.postMessage':
        return { ok: true, channel: a.channel, ts: ts(), message: { text: a.text } };
      case 'chat.update':
        return { ok: true, channel: a.channel, ts: a.ts };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: ts() };
      case 'conversations.replies':
        return { ok: true, messages: [], has_more: false };
      default:
        return { ok: true };
    }
  }
}

/** A slash command body signed the way Slack signs requests. */
export function signedCommand(secret: string, fields: Record<string, string>): { body: string; headers: Record<string, string> } {
  const body = new URLSearchParams(fields).toString();
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature } };
}
