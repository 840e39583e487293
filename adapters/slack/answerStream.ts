import type { webApi } from '@slack/bolt';
import { streamMarkdown } from './render.ts';

/** chat.startStream and chat.appendStream take at most this much markdown_text per call. */
const MARKDOWN_TEXT_LIMIT = 12_000;

export interface StreamTarget {
  channel: string;
  /** Streamed messages are always replies in a thread (Slack's rule for AI apps). */
  thread_ts: string;
  /** Needed outside DMs: who is reading the stream. */
  recipient_user_id?: string;
  recipient_team_id?: string;
}

/**
 * One answer streamed with Slack's methods for AI apps: the first draft starts the stream
 * (chat.startStream), later drafts append what is new (chat.appendStream), and `stop()` ends it
 * (chat.stopStream) so the message can be replaced by the final answer. A stream only grows: a
 * draft that rewrote earlier text is not appended; the final answer replaces it all.
 */
export class AnswerStream {
  private shown = '';
  private streamTs: string | undefined;
  private stopped = false;

  constructor(
    private readonly client: webApi.WebClient,
    private readonly target: StreamTarget,
  ) {}

  /** The streamed message's ts once the stream has started. */
  get ts(): string | undefined {
    return this.streamTs;
  }

  async draft(text: string): Promise<void> {
    if (this.stopped) return;
    const markdown = streamMarkdown(text);
    if (!this.streamTs) {
      const started = await this.client.chat.startStream({ ...this.target, markdown_text: markdown.slice(0, MARKDOWN_TEXT_LIMIT) });
      this.streamTs = started.ts;
      this.shown = markdown.slice(0, MARKDOWN_TEXT_LIMIT);
      return;
    }
    if (!markdown.startsWith(this.shown)) return;
    const added = markdown.slice(this.shown.length, this.shown.length + MARKDOWN_TEXT_LIMIT);
    if (!added) return;
    await this.client.chat.appendStream({ channel: this.target.channel, ts: this.streamTs, markdown_text: added });
    this.shown += added;
  }

  /** Ends the stream (once); true when there was one to end. */
  async stop(): Promise<boolean> {
    if (!this.streamTs || this.stopped) return false;
    this.stopped = true;
    await this.client.chat.stopStream({ channel: this.target.channel, ts: this.streamTs });
    return true;
  }
}
