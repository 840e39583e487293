import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Slack Web API and for response_url endpoints, on 127.0.0.1:0.
 * Records every call, keeps posted messages (so conversations.replies can be answered),
 * and can answer one call with 429 + Retry-After or with an `{ ok: false }` error.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- recorded API arguments are arbitrary JSON that tests read loosely
export type Args = Record<string, any>;

export interface RecordedCall {
  method: string;
  args: Args;
  status: number;
  token?: string;
  /** When the call arrived, by `clock` (a test's manual clock, else Date.now). */
  at: number;
}

export interface ResponseUrlPost {
  id: string;
  body: Args;
}

interface StoredMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
  user: string;
  bot_id: string;
  /** Started with chat.startStream and not stopped yet: only chat.appendStream may change it. */
  streaming?: boolean;
}

const jsonFields = new Set(['blocks', 'attachments', 'metadata']);

async function readBody(req: IncomingMessage): Promise<Args> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (!raw) return {};
  if ((req.headers['content-type'] ?? '').includes('application/json')) return JSON.parse(raw) as Args;
  const out: Args = {};
  for (const [k, v] of new URLSearchParams(raw)) out[k] = jsonFields.has(k) ? JSON.parse(v) : v;
  return out;
}

export class FakeSlack {
  readonly calls: RecordedCall[] = [];
  readonly responses: ResponseUrlPost[] = [];
  readonly messages: StoredMessage[] = [];
  private readonly rateLimits = new Map<string, number>();
  private readonly failures = new Map<string, string>();
  /** Stamps each recorded call (tests of paced updates set their manual clock here). */
  clock: () => number = Date.now;
  private server?: Server;
  private seq = 0;
  private base = '';

  constructor(readonly bot = { userId: 'U0BOT', botId: 'B0BOT' }) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The Web API base URL (ends with '/', as WebClient's slackApiUrl must). */
  get apiUrl(): string {
    return `${this.base}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.base}/respond/${id}`;
  }

  /** The next call to `method` gets 429 with `Retry-After: seconds`. */
  rateLimitOnce(method: string, seconds = 1): void {
    this.rateLimits.set(method, seconds);
  }

  /** The next call to `method` gets `{ ok: false, error }`. */
  failOnce(method: string, error: string): void {
    this.failures.set(method, error);
  }

  /** Calls to `method` that Slack accepted (not the 429s). */
  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && c.status === 200);
  }

  responsesTo(id: string): Args[] {
    return this.responses.filter((r) => r.id === id).map((r) => r.body);
  }

  async waitFor(predicate: () => boolean, what = 'condition', timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; calls: ${this.calls.map((c) => c.method).join(', ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.base).pathname;
    const body = await readBody(req);
    if (path.startsWith('/respond/')) {
      this.responses.push({ id: path.slice('/respond/'.length), body });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    const method = path.replace(/^\/api\//, '');
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '') || undefined;
    const retryAfter = this.rateLimits.get(method);
    if (retryAfter !== undefined) {
      this.rateLimits.delete(method);
      this.calls.push({ method, args: body, status: 429, token, at: this.clock() });
      this.send(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfter) });
      return;
    }
    this.calls.push({ method, args: body, status: 200, token, at: this.clock() });
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      this.send(res, 200, { ok: false, error: failure });
      return;
    }
    this.send(res, 200, this.answer(method, body));
  }

  private answer(method: string, a: Args): Record<string, unknown> {
    switch (method) {
      case 'chat.postMessage': {
        const ts = `1700000${String(++this.seq).padStart(3, '0')}.000100`;
        const m: StoredMessage = { channel: a.channel, ts, thread_ts: a.thread_ts, text: a.text, blocks: a.blocks, user: this.bot.userId, bot_id: this.bot.botId };
        this.messages.push(m);
        return { ok: true, channel: a.channel, ts, message: m };
      }
      case 'chat.startStream': {
        if (!a.thread_ts) return { ok: false, error: 'invalid_arguments' };
        const ts = `1700000${String(++this.seq).padStart(3, '0')}.000100`;
        this.messages.push({ channel: a.channel, ts, thread_ts: a.thread_ts, text: a.markdown_text ?? '', user: this.bot.userId, bot_id: this.bot.botId, streaming: true });
        return { ok: true, channel: a.channel, ts };
      }
      case 'chat.appendStream':
      case 'chat.stopStream': {
        const m = this.messages.find((x) => x.channel === a.channel && x.ts === a.ts);
        if (!m) return { ok: false, error: 'message_not_found' };
        if (!m.streaming) return { ok: false, error: 'message_not_in_streaming_state' };
        m.text = `${m.text ?? ''}${a.markdown_text ?? ''}`;
        if (method === 'chat.stopStream') m.streaming = false;
        return { ok: true, channel: a.channel, ts: a.ts };
      }
      case 'chat.update': {
        const m = this.messages.find((x) => x.channel === a.channel && x.ts === a.ts);
        if (!m) return { ok: false, error: 'message_not_found' };
        if (m.streaming) return { ok: false, error: 'cant_update_message' };
        Object.assign(m, { text: a.text, blocks: a.blocks });
        return { ok: true, channel: a.channel, ts: a.ts, text: a.text };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: `1700999${String(++this.seq).padStart(3, '0')}.000200` };
      case 'reactions.add':
      case 'reactions.remove':
      case 'assistant.threads.setSuggestedPrompts':
      case 'assistant.threads.setStatus':
      case 'assistant.threads.setTitle':
        return { ok: true };
      case 'conversations.replies': {
        const thread = this.messages.filter((m) => m.channel === a.channel && m.thread_ts === a.ts);
        return { ok: true, messages: thread, has_more: false };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

export async function startFakeSlack(): Promise<FakeSlack> {
  return new FakeSlack().start();
}
