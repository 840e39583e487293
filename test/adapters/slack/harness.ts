import { createHmac } from 'node:crypto';
import { createSlackApp, type SlackApp, type SlackConfig } from '../../../adapters/slack/app.ts';
import type { Answer, Citation } from '../../../src/answer/types.ts';
import type { StreamingOptions } from '../../../src/assistant/draftPacer.ts';
import type { AskRequest, Assistant } from '../../../src/assistant/types.ts';
import { createLogger } from '../../../src/logger.ts';
import { FakeAnswerActions } from '../../support/fakeAnswerActions.ts';
import { FakeAssistant, makeAnswer } from '../../support/fakeAssistant.ts';
import { type Args, FakeSlack } from '../../support/fakeSlack.ts';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const BOT = { userId: 'U0BOT', botId: 'B0BOT', teamId: 'T0TEAM' };

export const citations: Citation[] = [
  { n: 1, title: 'Partial indexes', source: 'pg/indexes-partial.md', collection: 'pg-docs', heading: 'Partial Indexes', anchor: 'partial', url: 'https://docs.example.org/indexes-partial.html#partial', location: 'pg/indexes-partial.md#partial', snippet: 'A partial index is built over a subset of a table', contentHash: 'h1' },
  { n: 2, title: 'Internal runbook', source: 'runbooks/vacuum.md', collection: 'runbooks', heading: 'Vacuum', location: 'runbooks/vacuum.md#vacuum', snippet: 'Run VACUUM', contentHash: 'h2' },
];

/** What the harness's FakeAssistant answers unless a test says otherwise: cited text that echoes the question. */
export const slackAnswer = (req: AskRequest): Answer => makeAnswer(`Create it with CREATE INDEX … WHERE [1]. You asked: ${req.question}`, citations);

export interface Harness {
  slack: SlackApp;
  fake: FakeSlack;
  assistant: FakeAssistant;
  actions: FakeAnswerActions;
  logs: string[];
  base: string;
  stop(): Promise<void>;
}

export async function startHarness(opts: { replyPrivately?: boolean; channelScopes?: Record<string, string[]>; config?: Partial<SlackConfig>; core?: Assistant; streaming?: StreamingOptions } = {}): Promise<Harness> {
  const fake = await new FakeSlack({ userId: BOT.userId, botId: BOT.botId }).start();
  const assistant = new FakeAssistant(slackAnswer);
  const actions = new FakeAnswerActions();
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(line) } });
  const slack = createSlackApp({
    assistant: opts.core ?? assistant,
    actions,
    streaming: opts.streaming,
    logger,
    config: {
      botToken: 'xoxb-test-token',
      signingSecret: SIGNING_SECRET,
      apiUrl: fake.apiUrl,
      command: '/ask',
      replyPrivately: opts.replyPrivately ?? false,
      channelScopes: opts.channelScopes ?? {},
      port: 0,
      host: '127.0.0.1',
      ...opts.config,
    },
    authorize: async () => ({ botToken: 'xoxb-test-token', botId: BOT.botId, botUserId: BOT.userId, teamId: BOT.teamId }),
    clientOptions: { retryConfig: { retries: 3, factor: 1, minTimeout: 5, maxTimeout: 20 } },
  });
  await slack.start();
  const base = `http://127.0.0.1:${slack.port()}`;
  return {
    slack,
    fake,
    assistant,
    actions,
    logs,
    base,
    async stop() {
      await slack.stop();
      await fake.close();
    },
  };
}

export function sign(body: string, timestamp: number, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface PostOptions {
  timestamp?: number;
  secret?: string;
  headers?: Record<string, string>;
}

/** POSTs a body to /slack/events signed the way Slack signs it. */
export async function signedPost(base: string, body: string, contentType: string, opts: PostOptions = {}): Promise<{ status: number; text: string }> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const res = await fetch(`${base}/slack/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': sign(body, timestamp, opts.secret), ...opts.headers },
    body,
  });
  return { status: res.status, text: await res.text() };
}

let eventSeq = 0;
export function newEventId(): string {
  return `Ev${Date.now().toString(36)}${++eventSeq}`;
}

/** Delivers an Events API event; `retryNum` adds the X-Slack-Retry-* headers of a redelivery. */
export function sendEvent(h: Harness, event: Record<string, unknown>, opts: PostOptions & { eventId?: string; retryNum?: number } = {}) {
  const envelope = { token: 'legacy', team_id: BOT.teamId, api_app_id: 'A0APP', type: 'event_callback', event_id: opts.eventId ?? newEventId(), event_time: Math.floor(Date.now() / 1000), event };
  const retry: Record<string, string> = opts.retryNum ? { 'x-slack-retry-num': String(opts.retryNum), 'x-slack-retry-reason': 'http_timeout' } : {};
  return signedPost(h.base, JSON.stringify(envelope), 'application/json', { ...opts, headers: { ...retry, ...opts.headers } });
}

let triggerSeq = 0;
/** Delivers a slash command, form-encoded exactly as Slack does. */
export function sendCommand(h: Harness, fields: { text: string; channel_id?: string; user_id?: string; trigger_id?: string; responseId?: string }, opts: PostOptions = {}) {
  const form = new URLSearchParams({
    token: 'legacy',
    team_id: BOT.teamId,
    team_domain: 'example',
    channel_id: fields.channel_id ?? 'C0GENERAL',
    channel_name: 'general',
    user_id: fields.user_id ?? 'U0ASKER',
    user_name: 'asker',
    command: '/ask',
    text: fields.text,
    api_app_id: 'A0APP',
    response_url: h.fake.responseUrl(fields.responseId ?? 'cmd'),
    trigger_id: fields.trigger_id ?? `trig.${++triggerSeq}`,
  });
  return signedPost(h.base, form.toString(), 'application/x-www-form-urlencoded', opts);
}

/** Delivers an interactive (block_actions) payload. */
export function sendAction(h: Harness, payload: Record<string, unknown>, opts: PostOptions = {}) {
  const form = new URLSearchParams({ payload: JSON.stringify(payload) });
  return signedPost(h.base, form.toString(), 'application/x-www-form-urlencoded', opts);
}

/** Every mrkdwn/plain text string in a message (text + blocks), for escaping assertions. */
export function allTexts(args: { text?: string; blocks?: unknown[] }): string[] {
  const out: string[] = args.text ? [args.text] : [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(args.blocks ?? []);
  return out;
}

/** The button `actionId` in a message's blocks. */
export function buttonIn(blocks: Args[] | undefined, actionId: string): Args | undefined {
  for (const b of blocks ?? []) {
    if (b.type !== 'actions') continue;
    const found = (b.elements as Args[]).find((e) => e.action_id === actionId);
    if (found) return { ...found, block_id: b.block_id };
  }
  return undefined;
}

/**
 * A click on a button, as Slack sends it: under a normal message (`message` given) or under
 * an ephemeral one (no `message` in the payload, only the container and a response_url).
 */
export function clickButton(h: Harness, actionId: string, where: { blocks: Args[]; ts?: string; threadTs?: string; channel?: string; user?: string; responseId?: string }) {
  const button = buttonIn(where.blocks, actionId);
  if (!button) throw new Error(`no ${actionId} button in the message`);
  const channel = where.channel ?? 'C0GENERAL';
  const ephemeral = where.ts === undefined;
  return sendAction(h, {
    type: 'block_actions',
    team: { id: BOT.teamId, domain: 'example' },
    user: { id: where.user ?? 'U0ASKER', username: 'someone', team_id: BOT.teamId },
    api_app_id: 'A0APP',
    token: 'legacy',
    container: { type: 'message', message_ts: where.ts ?? '1700000999.000100', channel_id: channel, is_ephemeral: ephemeral },
    trigger_id: `trig.click.${Math.random()}`,
    channel: { id: channel, name: 'general' },
    ...(ephemeral ? {} : { message: { type: 'message', ts: where.ts, thread_ts: where.threadTs, user: BOT.userId, bot_id: BOT.botId, text: 'answer', blocks: where.blocks } }),
    response_url: h.fake.responseUrl(where.responseId ?? 'click'),
    actions: [{ type: 'button', action_id: actionId, block_id: button.block_id, value: button.value, text: button.text, action_ts: '1700000700.000100' }],
  });
}
