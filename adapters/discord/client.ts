import { once } from 'node:events';
import { Client, Events, GatewayIntentBits, Partials } from 'discord.js';
import type { StreamingOptions } from '../../src/assistant/draftPacer.ts';
import type { AnswerActions, Assistant } from '../../src/assistant/types.ts';
import type { Config } from '../../src/config.ts';
import { KbError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { createHandlerContext } from './handlers/context.ts';
import { registerHandlers } from './handlers/register.ts';
import { suppressingEmbeds } from './suppressEmbeds.ts';

export interface DiscordBotDeps {
  assistant: Assistant;
  /** The core's answer records and hand-offs, for the buttons beyond 👍/👎. */
  actions?: AnswerActions;
  config: NonNullable<Config['discord']>;
  logger: Logger;
  /** Streamed answers (STREAM_UPDATE_MS); undefined: each answer appears when complete. */
  streaming?: StreamingOptions;
}

export interface DiscordBot {
  client: Client;
  /** Logs in and resolves once the gateway session is ready (guilds received). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The Discord adapter: the discord.js client with the message, /ask and feedback handlers attached. */
export function createDiscordBot(deps: DiscordBotDeps): DiscordBot {
  const { config, logger } = deps;
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent, GatewayIntentBits.DirectMessages],
    // DM channels are not cached before their first message; without this, DMs never arrive.
    partials: [Partials.Channel],
    // Client-wide, so no message (user or model text) can ping @everyone, @here, roles or users.
    allowedMentions: { parse: [] },
    // Every message sent or edited carries SuppressEmbeds (suppressEmbeds.ts).
    rest: { makeRequest: suppressingEmbeds(), ...(config.apiUrl ? { api: config.apiUrl } : {}) },
  });
  registerHandlers(
    client,
    createHandlerContext({
      assistant: deps.assistant,
      actions: deps.actions,
      logger,
      channelScopes: config.channelScopes,
      channelFilters: config.channelFilters,
      supportChannels: config.supportChannels,
      support: config.support,
      replyPrivately: config.replyPrivately,
      handoff: config.handoff,
      streaming: deps.streaming,
    }),);

  client.on(Events.Error, (err) => logger.error({ err }, 'discord: client error'));
  client.on(Events.ShardError, (err, shardId) => logger.warn({ err, shardId }, 'discord: gateway connection error'));
  client.on(Events.ShardReconnecting, (shardId) => logger.info({ shardId }, 'discord: gateway reconnecting'));
  client.on(Events.ShardResume, (shardId, replayed) => logger.info({ shardId, replayed }, 'discord: gateway session resumed'));
  client.on(Events.ShardDisconnect, (event, shardId) => logger.error({ code: event.code, shardId }, 'discord: gateway disconnected for good'));

  return {
    client,
    async start() {
      const ready = once(client, Events.ClientReady);
      // If login fails, nobody awaits `ready`; keep a later client error from becoming an unhandled rejection.
      ready.catch(() => undefined);
      try {
        await client.login(config.token);
      } catch (err) {
        throw explainLoginError(err);
      }
      await ready;
      logger.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, 'discord: connected');
    },
    async stop() {
      await client.destroy();
    },
  };
}

/** The two set-up mistakes everyone makes, turned into instructions; anything else keeps its cause. */
function explainLoginError(err: unknown): KbError {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: string };
  if (code === 'TokenInvalid') {
    return new KbError('config/invalid', 'Discord rejected DISCORD_TOKEN: copy the token from the Bot page of your application (Reset Token).', { cause: err });
  }
  if (/disallowed intents/i.test(message ?? '')) {
    return new KbError('config/invalid', 'Discord refused the Message Content intent: turn on "Message Content Intent" on the Bot page of the developer portal.', { cause: err });
  }
  return new KbError('internal/unexpected', `Could not connect to Discord: ${message ?? String(err)}`, { cause: err });
}
