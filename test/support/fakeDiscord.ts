import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A local stand-in for Discord on 127.0.0.1, enough for the real discord.js client:
 * REST (GET /gateway/bot, messages, threads, typing, interaction callbacks and webhook
 * edits, command registration) and a plain-JSON gateway (HELLO, IDENTIFY → READY +
 * GUILD_CREATE, heartbeat ACK, RESUME → replay + RESUMED). Every REST request is recorded;
 * tests dispatch MESSAGE_CREATE / INTERACTION_CREATE and drop the connection at will.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire JSON as the client sent it; tests inspect it loosely
export type Json = any;

export interface RecordedRequest {
  method: string;
  /** Path after /api/v10, e.g. /channels/123/messages. */
  path: string;
  query: URLSearchParams;
  authorization?: string;
  body: Json;
  /** What the fake answered (for messages: the message object, with its id). */
  response?: Json;
  /** When the request arrived, by `clock` (a test's manual clock, else Date.now). */
  at: number;
}

export interface GatewayFrame {
  op: number;
  d?: Json;
  s?: number | null;
  t?: string | null;
}

type FailureRule = { method: string; path: RegExp; status: number; body: unknown };

let snowflakeCounter = 0n;
/** Snowflake strings from the current time, unique within the process. */
export function snowflake(): string {
  snowflakeCounter += 1n;
  return (((BigInt(Date.now()) - 1420070400000n) << 22n) | (snowflakeCounter & 0x3fffffn)).toString();
}

const ALL_PERMISSIONS = '2251799813685247';

/** A message object as Discord sends it, with the given fields over empty defaults. */
function messageObject(fields: { channel_id: string; author: object; content: string } & Record<string, unknown>): Json {
  const empty = { embeds: [], components: [], mentions: [], mention_roles: [], attachments: [] };
  return { id: snowflake(), timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false, pinned: false, type: 0, flags: 0, ...empty, ...fields };
}

export class FakeDiscord {
  readonly bot = { id: snowflake(), username: 'kb-bot', discriminator: '0', global_name: 'KB Bot', avatar: null, bot: true };
  readonly human = { id: snowflake(), username: 'ada', discriminator: '0', global_name: 'Ada', avatar: null };
  readonly guildId = snowflake();
  readonly channelId = snowflake();
  /** A thread a human started, which the bot has never answered in. */
  readonly humanThreadId = snowflake();
  readonly dmChannelId = snowflake();
  /** A forum channel: each post is a thread whose starter message has the thread's id. */
  readonly forumChannelId = snowflake();
  /** Every message the fake knows (posted by the bot or dispatched as a user's), by id, for GET. */
  readonly messages = new Map<string, Json>();
  readonly requests: RecordedRequest[] = [];
  /** Query strings of every gateway connection, e.g. "?v=10&encoding=json". */
  readonly gatewayQueries: string[] = [];
  readonly received: GatewayFrame[] = [];
  /** Threads the client created with POST /channels/:id/messages/:id/threads. */
  readonly threads: Array<{ id: string; parentId: string; messageId: string; name: string }> = [];
  heartbeatIntervalMs = 2000;
  /** Stamps each recorded request (tests of paced edits set their manual clock here). */
  clock: () => number = Date.now;
  /** When set, IDENTIFY is answered by closing with this code (e.g. 4014, disallowed intents). */
  identifyCloseCode: number | undefined;

  private readonly http = http.createServer((req, res) => void this.onRequest(req, res));
  private readonly wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  private socket: WebSocket | undefined;
  /** The current gateway session (set by IDENTIFY). */
  sessionId = '';
  private sequence = 0;
  private history: GatewayFrame[] = [];
  private readonly failures: FailureRule[] = [];
  private readonly originalMessageIds = new Map<string, string>();
  private readonly interactionChannels = new Map<string, string>();

  static async start(): Promise<FakeDiscord> {
    const fake = new FakeDiscord();
    await new Promise<void>((resolve) => fake.http.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => (fake.wss.address() ? resolve() : fake.wss.once('listening', resolve)));
    fake.wss.on('connection', (ws, req) => fake.onConnection(ws, req.url ?? ''));
    return fake;
  }

  get applicationId(): string {
    return this.bot.id;
  }
  get apiUrl(): string {
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}/api`;
  }
  get gatewayUrl(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }
  /** Sequence number of the last dispatch sent (or kept for replay). */
  get lastSequence(): number {
    return this.sequence;
  }
  get identifies(): GatewayFrame[] {
    return this.received.filter((f) => f.op === 2);
  }
  get resumes(): GatewayFrame[] {
    return this.received.filter((f) => f.op === 6);
  }

  /** Makes matching REST requests fail (e.g. 403 on thread creation). */
  failRequests(method: string, path: RegExp, status: number, body: unknown = { message: 'Missing Permissions', code: 50013 }): void {
    this.failures.push({ method, path, status, body });
  }

  /** Sends a dispatch now, or keeps it for the RESUME replay if the client is disconnected. */
  dispatch(t: string, d: unknown): void {
    const frame = { op: 0, t, s: ++this.sequence, d };
    this.history.push(frame);
    if (this.socket?.readyState === 1) this.socket.send(JSON.stringify(frame));
  }

  /** Drops the gateway connection: with a close code, or abruptly (no close frame) when none is given. */
  closeGateway(code?: number): void {
    if (code === undefined) this.socket?.terminate();
    else this.socket?.close(code, 'fake discord closed the connection');
  }

  postMessage(opts: { content: string; channelId?: string; guild?: boolean; mentionBot?: boolean; author?: object; channelType?: number; replyTo?: Json; id?: string }): Json {
    const guild = opts.guild ?? true;
    const channelId = opts.channelId ?? (guild ? this.channelId : this.dmChannelId);
    const reply = opts.replyTo ? { type: 19, message_reference: { type: 0, message_id: opts.replyTo.id, channel_id: opts.replyTo.channel_id, ...(guild ? { guild_id: this.guildId } : {}) } } : {};
    const message = messageObject({
      ...(opts.id ? { id: opts.id } : {}),
      channel_id: channelId,
      channel_type: opts.channelType ?? (guild ? 0 : 1),
      ...(guild ? { guild_id: this.guildId } : {}),
      author: opts.author ?? this.human,
      content: opts.content,
      mentions: opts.mentionBot ? [this.bot] : [],
      ...reply,
    });
    this.messages.set(message.id, message);
    this.dispatch('MESSAGE_CREATE', message);
    return message;
  }

  /** A human starts a thread from a message (the thread gets the message's id, as on Discord). */
  startThreadFrom(message: Json, name = 'A thread'): string {
    this.dispatch('THREAD_CREATE', { ...this.threadPayload(message.id, message.channel_id, this.human.id, name), newly_created: true });
    return message.id as string;
  }

  /** A new post in the forum channel: the thread, then its starter message (same id). */
  forumPost(title: string, content: string, author: object = this.human): { threadId: string; message: Json } {
    const threadId = snowflake();
    const owner = (author as { id: string }).id;
    this.dispatch('THREAD_CREATE', { ...this.threadPayload(threadId, this.forumChannelId, owner, title), newly_created: true });
    const message = this.postMessage({ content, channelId: threadId, channelType: 11, author, id: threadId });
    return { threadId, message };
  }

  /** A `/ask question` in the guild text channel. Returns the interaction (id and token). */
  slashCommand(question: string): { id: string; token: string } {
    return this.interaction(2, { id: snowflake(), name: 'ask', type: 1, options: [{ name: 'question', type: 3, value: question }] });
  }

  /** A click on a button of a message the bot sent; `user` defaults to the human. */
  clickButton(customId: string, message: Json, user: Json = this.human): { id: string; token: string } {
    return this.interaction(3, { custom_id: customId, component_type: 2 }, { message }, user);
  }

  /** A message context-menu command (type 3) run on `message`. */
  messageCommand(name: string, message: Json): { id: string; token: string } {
    const data = { id: snowflake(), name, type: 3, target_id: message.id, resolved: { messages: { [message.id]: message } } };
    return this.interaction(2, data);
  }

  /** A second human, e.g. someone who did not ask. */
  readonly bystander = { id: snowflake(), username: 'grace', discriminator: '0', global_name: 'Grace', avatar: null };

  /** Resolves with the first recorded request that matches, waiting for it if needed. */
  async waitForRequest(match: (r: RecordedRequest) => boolean, timeoutMs = 10_000): Promise<RecordedRequest> {
    return waitUntil(() => this.requests.find(match), timeoutMs, 'a matching REST request');
  }

  async stop(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private interaction(type: number, data: object, extra: object = {}, user: Json = this.human): { id: string; token: string } {
    const id = snowflake();
    const token = `itoken-${randomUUID()}`;
    this.interactionChannels.set(token, this.channelId);
    const member = { user, roles: [], permissions: ALL_PERMISSIONS, joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 };
    const channel = { id: this.channelId, type: 0, guild_id: this.guildId, name: 'general' };
    const where = { guild_id: this.guildId, channel_id: this.channelId, channel, member, authorizing_integration_owners: { '0': this.guildId }, context: 0 };
    const fixed = { version: 1, app_permissions: ALL_PERMISSIONS, locale: 'en-US', guild_locale: 'en-US', entitlements: [] };
    this.dispatch('INTERACTION_CREATE', { id, token, type, data, application_id: this.applicationId, ...where, ...fixed, ...extra });
    return { id, token };
  }

  private onConnection(ws: WebSocket, url: string): void {
    this.socket = ws;
    this.gatewayQueries.push(url.replace(/^\//, ''));
    const send = (frame: GatewayFrame) => ws.send(JSON.stringify({ s: null, t: null, ...frame }));
    send({ op: 10, d: { heartbeat_interval: this.heartbeatIntervalMs } });
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as GatewayFrame;
      this.received.push(frame);
      if (frame.op === 1) send({ op: 11 });
      else if (frame.op === 2 && this.identifyCloseCode) ws.close(this.identifyCloseCode, 'Disallowed intent(s).');
      else if (frame.op === 2) this.onIdentify();
      else if (frame.op === 6) this.onResume(frame.d as { session_id: string; seq: number }, send);
    });
  }

  private onIdentify(): void {
    this.sessionId = randomUUID().replace(/-/g, '');
    this.sequence = 0;
    this.history = [];
    const guilds = [{ id: this.guildId, unavailable: true }];
    const application = { id: this.applicationId, flags: 0 };
    this.dispatch('READY', { v: 10, user: this.bot, guilds, session_id: this.sessionId, resume_gateway_url: this.gatewayUrl, shard: [0, 1], application });
    this.dispatch('GUILD_CREATE', this.guildPayload());
  }

  private onResume(d: { session_id: string; seq: number }, send: (f: GatewayFrame) => void): void {
    if (d.session_id !== this.sessionId) {
      send({ op: 9, d: false });
      return;
    }
    for (const frame of this.history.filter((f) => (f.s ?? 0) > d.seq)) send(frame);
    this.dispatch('RESUMED', {});
  }

  private guildPayload(): object {
    const everyone = { id: this.guildId, name: '@everyone', permissions: ALL_PERMISSIONS, position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 };
    const general = { id: this.channelId, type: 0, name: 'general', position: 0, permission_overwrites: [], parent_id: null, topic: null, nsfw: false, rate_limit_per_user: 0 };
    const forum = { ...general, id: this.forumChannelId, type: 15, name: 'help', position: 1, available_tags: [], default_reaction_emoji: null, default_sort_order: null, default_forum_layout: 0 };
    const empty = { features: [], emojis: [], stickers: [], members: [], presences: [], voice_states: [] };
    return {
      ...empty,
      id: this.guildId,
      name: 'Databases',
      icon: null,
      owner_id: this.human.id,
      unavailable: false,
      member_count: 2,
      joined_at: new Date().toISOString(),
      roles: [everyone],
      channels: [general, forum],
      threads: [this.threadPayload(this.humanThreadId, this.channelId, this.human.id, 'A human thread')],
    };
  }

  private threadPayload(id: string, parentId: string, ownerId: string, name: string): object {
    const metadata = { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false };
    return { id, type: 11, guild_id: this.guildId, parent_id: parentId, owner_id: ownerId, name, thread_metadata: metadata, message_count: 0, member_count: 1, rate_limit_per_user: 0, flags: 0 };
  }

  private messagePayload(channelId: string, body: Json, id = snowflake(), extra: Json = {}): Json {
    const { content = '', embeds = [], components = [], flags = 0 } = body ?? {};
    const reference = body?.message_reference ? { type: 19, message_reference: { channel_id: channelId, ...body.message_reference } } : {};
    const message = messageObject({ id, channel_id: channelId, ...(channelId === this.dmChannelId ? {} : { guild_id: this.guildId }), author: this.bot, content, embeds, components, flags, ...reference, ...extra });
    // An edit keeps what it does not mention (as PATCH does on Discord).
    const before = this.messages.get(id);
    const stored = before ? { ...before, ...Object.fromEntries(Object.entries(body ?? {}).filter(([k]) => ['content', 'embeds', 'components', 'flags'].includes(k))), ...extra } : message;
    this.messages.set(id, stored);
    return stored;
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v\d+/, '');
    const method = req.method ?? 'GET';
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // Multipart or text: keep the raw string so a test can still look at it.
    }
    const recorded: RecordedRequest = { method, path, query: url.searchParams, authorization: req.headers.authorization, body, at: this.clock() };
    this.requests.push(recorded);
    const reply = (status: number, payload?: unknown) => {
      res.writeHead(status, payload === undefined ? {} : { 'content-type': 'application/json' });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    const failure = this.failures.find((f) => f.method === method && f.path.test(path));
    if (failure) return reply(failure.status, failure.body);
    const [status, payload] = this.route(method, path, body as Json);
    recorded.response = payload;
    reply(status, payload);
  }

  private route(method: string, path: string, body: Json): [number, unknown?] {
    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/gateway/bot') {
      return [200, { url: this.gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 } }];
    }
    if (method === 'GET' && path === '/applications/@me') return [200, { id: this.applicationId, name: 'kb-bot', flags: 0 }];
    if (method === 'PUT' && /^\/applications\/\d+(\/guilds\/\d+)?\/commands$/.test(path)) {
      return [200, (body as Json[]).map((c) => ({ ...c, id: snowflake(), application_id: this.applicationId, version: snowflake() }))];
    }
    if (method === 'POST' && (m = path.match(/^\/channels\/(\d+)\/messages\/(\d+)\/threads$/))) {
      // As on Discord, a thread started from a message has the message's id.
      const thread = { id: m[2]!, parentId: m[1]!, messageId: m[2]!, name: String(body?.name ?? '') };
      this.threads.push(thread);
      return [201, this.threadPayload(thread.id, thread.parentId, this.bot.id, thread.name)];
    }
    if (method === 'POST' && (m = path.match(/^\/channels\/(\d+)\/messages$/))) return [200, this.messagePayload(m[1]!, body)];
    if (method === 'GET' && (m = path.match(/^\/channels\/(\d+)\/messages\/(\d+)$/))) {
      const found = this.messages.get(m[2]!);
      return found ? [200, found] : [404, { message: 'Unknown Message', code: 10008 }];
    }
    if (method === 'PATCH' && (m = path.match(/^\/channels\/(\d+)\/messages\/(\d+)$/))) {
      return this.messages.has(m[2]!) ? [200, this.messagePayload(m[1]!, body, m[2]!)] : [404, { message: 'Unknown Message', code: 10008 }];
    }
    if (method === 'DELETE' && (m = path.match(/^\/(?:channels\/\d+|webhooks\/\d+\/[^/]+)\/messages\/(\d+)$/))) {
      return this.messages.delete(m[1]!) ? [204] : [404, { message: 'Unknown Message', code: 10008 }];
    }
    if (method === 'PUT' && /^\/channels\/\d+\/messages\/\d+\/reactions\/[^/]+\/@me$/.test(path)) return [204];
    if (method === 'GET' && (m = path.match(/^\/webhooks\/\d+\/([^/]+)\/messages\/@original$/))) {
      const token = m[1]!;
      const id = this.originalMessageIds.get(token) ?? snowflake();
      this.originalMessageIds.set(token, id);
      const found = this.messages.get(id);
      return [200, found ?? this.messagePayload(this.interactionChannels.get(token) ?? this.channelId, { content: '' }, id, { webhook_id: this.applicationId })];
    }
    if (method === 'POST' && /^\/channels\/\d+\/typing$/.test(path)) return [204];
    if (method === 'POST' && /^\/interactions\/\d+\/[^/]+\/callback$/.test(path)) return [204];
    if (method === 'PATCH' && (m = path.match(/^\/webhooks\/\d+\/([^/]+)\/messages\/@original$/))) {
      const token = m[1]!;
      const id = this.originalMessageIds.get(token) ?? snowflake();
      this.originalMessageIds.set(token, id);
      return [200, { ...this.messagePayload(this.interactionChannels.get(token) ?? this.channelId, body, id, { webhook_id: this.applicationId }) }];
    }
    if (method === 'PATCH' && (m = path.match(/^\/webhooks\/\d+\/([^/]+)\/messages\/(\d+)$/))) {
      return [200, this.messagePayload(this.interactionChannels.get(m[1]!) ?? this.channelId, body, m[2]!, { webhook_id: this.applicationId })];
    }
    if (method === 'POST' && (m = path.match(/^\/webhooks\/\d+\/([^/]+)$/))) {
      return [200, this.messagePayload(this.interactionChannels.get(m[1]!) ?? this.channelId, body, undefined, { webhook_id: this.applicationId })];
    }
    return [404, { message: '404: Not Found', code: 0 }];
  }
}

export async function waitUntil<T>(probe: () => T | undefined | false, timeoutMs = 10_000, what = 'a condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
