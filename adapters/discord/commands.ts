import {
  ApplicationCommandType,
  ApplicationIntegrationType,
  ContextMenuCommandBuilder,
  DiscordAPIError,
  InteractionContextType,
  OAuth2Scopes,
  PermissionFlagsBits,
  PermissionsBitField,
  REST,
  Routes,
  SlashCommandBuilder,
  type RESTGetCurrentApplicationResult,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  type RESTPostAPIContextMenuApplicationCommandsJSONBody,
} from 'discord.js';
import { KbError, toKbError } from '../../src/errors.ts';
import { ASK_MESSAGE_COMMAND } from './handlers/askAboutMessage.ts';
import { ASK_COMMAND, ASK_OPTION } from './handlers/askCommand.ts';

/** The /ask slash command, usable in servers and in DMs with the bot. */
export const askCommand: RESTPostAPIChatInputApplicationCommandsJSONBody = new SlashCommandBuilder()
  .setName(ASK_COMMAND)
  .setDescription('Ask the database-engineering knowledge base; the answer cites its sources.')
  .addStringOption((o) => o.setName(ASK_OPTION).setDescription('Your question, e.g. "How do I create a partial index?"').setRequired(true).setMaxLength(2000))
  .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
  .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
  .toJSON();

/** Apps → "Ask the knowledge base" on any message in a server. */
export const askAboutMessageCommand: RESTPostAPIContextMenuApplicationCommandsJSONBody = new ContextMenuCommandBuilder()
  .setName(ASK_MESSAGE_COMMAND)
  .setType(ApplicationCommandType.Message)
  .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
  .setContexts(InteractionContextType.Guild)
  .toJSON();

export const commandDefinitions = [askCommand, askAboutMessageCommand];

/** What the bot needs in a server: read the channel, start a thread, answer in it, react 👀 (no embeds: every message suppresses them). */
export const BOT_PERMISSIONS = new PermissionsBitField([
  PermissionFlagsBits.AddReactions,
  PermissionFlagsBits.ViewChannel,
  PermissionFlagsBits.SendMessages,
  PermissionFlagsBits.SendMessagesInThreads,
  PermissionFlagsBits.CreatePublicThreads,
  PermissionFlagsBits.ReadMessageHistory,
]).bitfield;

/** The OAuth2 URL that adds the bot (and its slash commands) to a server. */
export function inviteUrl(applicationId: string): string {
  const params = new URLSearchParams({
    client_id: applicationId,
    scope: [OAuth2Scopes.Bot, OAuth2Scopes.ApplicationsCommands].join(' '),
    permissions: BOT_PERMISSIONS.toString(),
  });
  return `https://discord.com/oauth2/authorize?${params.toString()}`;
}

export interface RegisterCommandsOptions {
  token: string;
  /** Defaults to the application the token belongs to. */
  applicationId?: string;
  /** Register in one guild (instant, for testing) instead of globally (may take up to an hour to appear). */
  guildId?: string;
  /** Base URL of the API, e.g. a local stand-in; discord.js appends /v10. */
  apiUrl?: string;
}

export interface RegisteredCommands {
  applicationId: string;
  scope: 'guild' | 'global';
  names: string[];
}

/** Replaces the application's commands with /ask (a bulk overwrite, so running it twice is harmless). */
export async function registerCommands(opts: RegisterCommandsOptions): Promise<RegisteredCommands> {
  const rest = new REST(opts.apiUrl ? { api: opts.apiUrl } : {}).setToken(opts.token);
  try {
    const applicationId = opts.applicationId ?? ((await rest.get(Routes.currentApplication())) as RESTGetCurrentApplicationResult).id;
    const route = opts.guildId ? Routes.applicationGuildCommands(applicationId, opts.guildId) : Routes.applicationCommands(applicationId);
    const result = (await rest.put(route, { body: commandDefinitions })) as Array<{ name: string }>;
    return { applicationId, scope: opts.guildId ? 'guild' : 'global', names: result.map((c) => c.name) };
  } catch (err) {
    throw explainRegistrationError(err, opts);
  }
}

function explainRegistrationError(err: unknown, opts: RegisterCommandsOptions): KbError {
  if (!(err instanceof DiscordAPIError)) return toKbError(err);
  if (err.status === 401) {
    return new KbError('config/invalid', 'Discord rejected DISCORD_TOKEN: copy the token from the Bot page of your application (Reset Token).', { cause: err });
  }
  if (opts.guildId && (err.status === 403 || err.status === 404)) {
    return new KbError('input/invalid_argument', `Cannot register commands in guild ${opts.guildId}: invite the bot there first (with the applications.commands scope).`, { cause: err });
  }
  if (err.status === 404 || err.status === 403) {
    return new KbError('config/invalid', 'DISCORD_APPLICATION_ID does not match the bot token: copy the Application ID from General Information.', { cause: err });
  }
  return new KbError('internal/unexpected', `Discord refused the command registration (${err.status}): ${err.message}`, { cause: err });
}
