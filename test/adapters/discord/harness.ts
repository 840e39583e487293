import { Writable } from 'node:stream';
import { createDiscordBot, type DiscordBot, type DiscordBotDeps } from '../../../adapters/discord/client.ts';
import type { StreamingOptions } from '../../../src/assistant/draftPacer.ts';
import type { Assistant } from '../../../src/assistant/types.ts';
import { createLogger } from '../../../src/logger.ts';
import { FakeDiscord, waitUntil, type RecordedRequest } from '../../support/fakeDiscord.ts';
import { FakeAnswerActions } from '../../support/fakeAnswerActions.ts';
import { FakeAssistant } from '../../support/fakeAssistant.ts';

export const TOKEN = 'fake-discord-bot-token';

export interface Harness {
  fake: FakeDiscord;
  bot: DiscordBot;
  assistant: FakeAssistant;
  actions: FakeAnswerActions;
  /** Parsed log lines the adapter wrote. */
  logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** The real discord.js client, built by createDiscordBot, logged in to a fresh FakeDiscord. */
export async function startHarness(opts: { core?: Assistant; streaming?: StreamingOptions; actions?: FakeAnswerActions; channelScopes?: (fake: FakeDiscord) => Record<string, string[]>; channelFilters?: (fake: FakeDiscord) => Record<string, Record<string, string>>; config?: (fake: FakeDiscord) => Partial<DiscordBotDeps['config']> } = {}): Promise<Harness> {
  const fake = await FakeDiscord.start();
  const assistant = new FakeAssistant();
  const actions = opts.actions ?? new FakeAnswerActions();
  const logs: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const bot = createDiscordBot({ assistant: opts.core ?? assistant, actions, logger, streaming: opts.streaming, config: { token: TOKEN, apiUrl: fake.apiUrl, channelScopes: opts.channelScopes?.(fake) ?? {}, channelFilters: opts.channelFilters?.(fake), ...opts.config?.(fake) } });
  await bot.start();
  return {
    fake,
    bot,
    assistant,
    actions,
    logs,
    async stop() {
      await bot.stop();
      await fake.stop();
    },
  };
}

export const isChannelMessage = (channelId: string) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/channels/${channelId}/messages`;

/** Messages the bot posted to a channel, oldest first. */
export function postedTo(fake: FakeDiscord, channelId: string): RecordedRequest[] {
  return fake.requests.filter(isChannelMessage(channelId));
}

/** Waits until `count` messages have been posted to the channel, and returns them. */
export async function waitForPosts(fake: FakeDiscord, channelId: string, count: number): Promise<RecordedRequest[]> {
  return waitUntil(() => {
    const posts = postedTo(fake, channelId);
    return posts.length >= count ? posts : undefined;
  }, 10_000, `${count} message(s) in channel ${channelId}`);
}

/** The id of the thread the bot started from a message. */
export async function threadStartedFrom(fake: FakeDiscord, messageId: string): Promise<string> {
  const thread = await waitUntil(() => fake.threads.find((t) => t.messageId === messageId), 10_000, `a thread started from ${messageId}`);
  return thread.id;
}

/** The custom ids of the buttons on a sent message body. */
export function buttonIds(body: { components?: Array<{ components: Array<{ custom_id: string }> }> }): string[] {
  return (body.components ?? []).flatMap((row) => row.components.map((b) => b.custom_id));
}

/** Interaction callbacks (replies, updates) and webhook follow-ups sent for interaction `id`/`token`. */
export const callbackOf = (id: string, token: string) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/interactions/${id}/${token}/callback`;
export const followUpsOf = (app: string, token: string) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/webhooks/${app}/${token}`;
export const editOf = (app: string, token: string) => (r: RecordedRequest) => r.method === 'PATCH' && r.path === `/webhooks/${app}/${token}/messages/@original`;

/** A posted answer's text without the sources list that follows it. */
export function answerPart(content: string): string {
  return content.split('\n\n**Sources**\n')[0]!;
}
