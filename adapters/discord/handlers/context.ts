import { type DraftPacer, type StreamingOptions, streamingPacer } from '../../../src/assistant/draftPacer.ts';
import { admitOrTell, handleOnce as coreHandleOnce, keepRecord as coreKeepRecord } from '../../../src/assistant/delivery.ts';
import type { Admission, AnswerActions, AnswerRecord, Assistant } from '../../../src/assistant/types.ts';
import type { MetadataFilter } from '../../../src/store/metadata.ts';
import type { SupportRules } from '../../../src/config.ts';
import type { Logger } from '../../../src/logger.ts';
import { Conversations } from '../conversations.ts';
import { renderDraft } from '../render.ts';
import type { StreamedReply } from '../streamedReply.ts';

/** Everything the handlers need; built once by createDiscordBot, passed to each handler. */
export interface DiscordHandlerContext {
  assistant: Assistant;
  logger: Logger;
  channelScopes: Record<string, string[]>;
  /** The metadata filter of each scope entry (config.channelFilters). */
  channelFilters?: Record<string, MetadataFilter>;
  /** Channels (text or forum) whose new questions are answered without a mention. */
  supportChannels?: string[];
  support?: SupportRules;
  /** Share, hand-off and "Why these sources" buttons; without it answers carry only 👍/👎. */
  actions?: AnswerActions;
  /** `/ask` answers privately (ephemeral), with "Share in channel". */
  replyPrivately?: boolean;
  /** Whom "I need a human" pings. */
  handoff?: { users: string[]; roles: string[] };
  /** Threads and replies that continue a conversation the bot is part of. */
  conversations: Conversations;
  /** Answers grow as the model writes them (message edits, paced); without it they appear when complete. */
  streaming?: StreamingOptions;
}

/** Paces one answer's drafts onto Discord, laid out as the final answer is, in `reply`; undefined when streaming is off. */
export function draftPacer(ctx: DiscordHandlerContext, reply: StreamedReply): DraftPacer<string> | undefined {
  return streamingPacer(ctx.streaming, (text) => reply.show(renderDraft(text)), (err) => ctx.logger.warn({ err }, 'discord: could not show a draft; the answer follows when it is complete'));
}

export function createHandlerContext(deps: Omit<DiscordHandlerContext, 'conversations'>): DiscordHandlerContext {
  return { ...deps, conversations: new Conversations(deps.logger) };
}

/** True when "I need a human" has someone to ping. */
export function handoffConfigured(ctx: DiscordHandlerContext): boolean {
  return Boolean(ctx.handoff && (ctx.handoff.users.length || ctx.handoff.roles.length));
}

/** Keeps what the answer's buttons need; without it (or if that fails) they carry no id. */
export function keepRecord(ctx: DiscordHandlerContext, record: AnswerRecord): Promise<string | undefined> {
  return coreKeepRecord(ctx.actions, { platform: 'discord', logger: ctx.logger }, record);
}

/** Exactly-once handling of a Discord event (the core's claim cycle); false for a duplicate. */
export function handleOnce(ctx: DiscordHandlerContext, eventId: string, work: () => Promise<void>): Promise<boolean> {
  return coreHandleOnce(ctx.assistant, { platform: 'discord', logger: ctx.logger }, eventId, work);
}

/** Admission before a thread, typing or a reply is shown; a question turned away gets only the reason, through `tell`. */
export function admit(ctx: DiscordHandlerContext, req: Admission, tell: (userMessage: string) => Promise<unknown>): Promise<void> {
  return admitOrTell(ctx.assistant, { platform: 'discord', logger: ctx.logger }, req, tell);
}
