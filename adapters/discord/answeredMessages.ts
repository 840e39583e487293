import { LRUCache } from 'lru-cache';
import type { FeedbackRecord } from '../../src/assistant/types.ts';
import type { Answer } from '../../src/answer/types.ts';

export type AnsweredContext = Pick<FeedbackRecord, 'question' | 'answer' | 'citations'>;

/**
 * What a 👍/👎 refers to: the question and answer behind the message carrying the buttons.
 * Kept in memory (bounded); a vote on an older message, or one handled by another process,
 * falls back to the message's own text (see handleFeedbackButton).
 */
export class AnsweredMessages {
  private readonly byMessageId = new LRUCache<string, AnsweredContext>({ max: 5000 });

  remember(messageId: string, question: string, answer: Answer): void {
    this.byMessageId.set(messageId, {
      question,
      answer: answer.text,
      citations: answer.citations.map(({ n, title, location, url }) => ({ n, title, location, url })),
    });
  }

  get(messageId: string): AnsweredContext | undefined {
    return this.byMessageId.get(messageId);
  }
}
