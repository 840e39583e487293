import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeEmbeddings } from './fakeEmbeddings.ts';

/**
 * An OpenAI-compatible server on 127.0.0.1:0 (`/v1/chat/completions`, `/v1/embeddings`)
 * for driving the real @langchain/openai client. Every chat request is recorded; what it
 * answers is scripted per request: text, a delay, an HTTP error (429 with Retry-After,
 * 500, 401), or no answer at all (`hang`, for client timeouts). A request with `stream: true`
 * is answered with server-sent events (chat.completion.chunk), one per piece of a `stream`
 * reply (a `text` reply is cut into words); `failAfter: n` drops the connection after n pieces,
 * a model failing mid-answer, and `stallAfter: n` stops writing after n pieces but keeps the
 * connection open. `beforePiece` runs before each piece is written (tests move their
 * clock there, as if the model took that long to write it).
 */
export type FakeReply =
  /** `after`: the reply waits for it (a paused model, released by the test). */
  | { text: string; delayMs?: number; after?: Promise<unknown> }
  | { stream: string[]; failAfter?: number; stallAfter?: number; beforePiece?: (index: number) => void | Promise<void>; delayMs?: number }
  | { status: number; retryAfter?: number; message?: string; code?: string; delayMs?: number }
  | { hang: true };

export interface ChatMessage {
  role: string;
  content: string;
}

export interface RecordedChat {
  model: string;
  /** The client asked for a streamed answer. */
  stream: boolean;
  messages: ChatMessage[];
  authorization?: string;
  /** The request's output budget: max_tokens, or max_completion_tokens (reasoning models). */
  maxTokens?: number;
  at: number;
  reply?: FakeReply;
}

const DEFAULT_REPLY: FakeReply = { text: "I don't know based on the knowledge base." };

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p === 'object' && 'text' in p ? String((p as { text: unknown }).text) : '')).join('');
  return '';
}

export class FakeOpenAI {
  readonly chats: RecordedChat[] = [];
  embeddingRequests = 0;
  /** Chat requests received and not yet answered, and the most there ever were at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** When set, /v1/embeddings answers with this error instead of vectors. */
  embeddingsFailure?: { status: number; message: string };
  /** Decides the reply to each chat request; tests replace it. */
  script: (chat: RecordedChat) => FakeReply = () => DEFAULT_REPLY;
  private server?: Server;
  private base = '';
  private readonly embedder = new FakeEmbeddings(32);

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The value for OPENAI_BASE_URL. */
  get baseUrl(): string {
    return `${this.base}/v1`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Chat requests whose last user message contains `needle`. */
  chatsAbout(needle: string): RecordedChat[] {
    return this.chats.filter((c) => userText(c).includes(needle));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    const path = new URL(req.url ?? '/', this.base).pathname;
    if (req.method === 'POST' && path === '/v1/embeddings') return this.embeddings(body, res);
    if (req.method === 'POST' && path === '/v1/chat/completions') return this.chat(body, req, res);
    send(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } });
  }

  private embeddings(body: Record<string, unknown>, res: ServerResponse): void {
    this.embeddingRequests++;
    if (this.embeddingsFailure) {
      send(res, this.embeddingsFailure.status, { error: { message: this.embeddingsFailure.message, type: 'invalid_request_error', code: null } });
      return;
    }
    const input = Array.isArray(body.input) ? (body.input as unknown[]) : [body.input];
    const data = input.map((text, index) => ({ object: 'embedding', index, embedding: this.embedder.embedSync(String(text)) }));
    send(res, 200, { object: 'list', data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } });
  }

  private async chat(body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const messages = ((body.messages as Array<{ role: string; content: unknown }>) ?? []).map((m) => ({ role: m.role, content: contentText(m.content) }));
    const budget = body.max_tokens ?? body.max_completion_tokens;
    const chat: RecordedChat = { model: String(body.model), stream: body.stream === true, messages, authorization: req.headers.authorization, ...(typeof budget === 'number' ? { maxTokens: budget } : {}), at: Date.now() };
    this.chats.push(chat);
    const reply = this.script(chat);
    chat.reply = reply;
    if ('hang' in reply) return; // never answers; the client's timeout must end it
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      if ('after' in reply) await reply.after;
    } finally {
      this.inFlight--;
    }
    if (res.destroyed) return;
    if ('status' in reply) {
      const headers: Record<string, string> = reply.retryAfter !== undefined ? { 'retry-after': String(reply.retryAfter) } : {};
      send(res, reply.status, { error: { message: reply.message ?? `fake error ${reply.status}`, type: 'server_error', code: reply.code ?? null } }, headers);
      return;
    }
    const pieces = 'stream' in reply ? reply.stream : (reply.text.match(/\S+\s*|\s+/g) ?? ['']);
    if (chat.stream) return streamChat(res, chat, `chatcmpl-${this.chats.length}`, pieces, 'stream' in reply ? reply : {});
    send(res, 200, {
      id: `chatcmpl-${this.chats.length}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: chat.model,
      choices: [{ index: 0, message: { role: 'assistant', content: pieces.join('') }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
    });
  }
}

/** A streamed chat completion: a role chunk, one chunk per piece, the finish and usage chunks, [DONE]. */
async function streamChat(res: ServerResponse, chat: RecordedChat, id: string, pieces: string[], opts: { failAfter?: number; stallAfter?: number; beforePiece?: (index: number) => void | Promise<void> }): Promise<void> {
  const created = Math.floor(Date.now() / 1000);
  const event = (choices: unknown[], extra: Record<string, unknown> = {}) => res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: chat.model, choices, ...extra })}\n\n`);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  event([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
  for (const [i, piece] of pieces.entries()) {
    if (opts.failAfter !== undefined && i >= opts.failAfter) {
      // Closed once what was written has gone out, leaving the chunked body unfinished.
      res.socket?.destroySoon();
      return;
    }
    if (opts.stallAfter !== undefined && i >= opts.stallAfter) return;
    await opts.beforePiece?.(i);
    if (res.destroyed) return;
    event([{ index: 0, delta: { content: piece }, finish_reason: null }]);
    // Let the client read each piece on its own, as it would from a model writing it.
    await new Promise((resolve) => setImmediate(resolve));
  }
  event([{ index: 0, delta: {}, finish_reason: 'stop' }]);
  event([], { usage: { prompt_tokens: 10, completion_tokens: pieces.length, total_tokens: 10 + pieces.length } });
  res.end('data: [DONE]\n\n');
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The system prompt of a recorded chat ('' when there is none). */
export function systemText(chat: RecordedChat): string {
  return chat.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
}

/** The last user message of a recorded chat. */
export function userText(chat: RecordedChat): string {
  return [...chat.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  return new FakeOpenAI().start();
}
