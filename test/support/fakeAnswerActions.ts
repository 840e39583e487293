import { randomBytes } from 'node:crypto';
import type { AnswerActions, AnswerRecord, Explanation, Handoff, HandoffRequest, SourceRanks, SuggestedPrompt } from '../../src/assistant/types.ts';

/** An in-memory AnswerActions for adapter tests: records everything it is asked. */
export class FakeAnswerActions implements AnswerActions {
  readonly records = new Map<string, AnswerRecord>();
  readonly handoffs: Handoff[] = [];
  readonly explained: AnswerRecord[] = [];
  prompts: SuggestedPrompt[] = [
    { title: 'Partial indexes', message: 'What should I know about Partial indexes?' },
    { title: 'VACUUM', message: 'What should I know about VACUUM?' },
  ];

  async keep(record: AnswerRecord): Promise<string> {
    const id = randomBytes(12).toString('base64url');
    // A copy through JSON, as the real store keeps it.
    this.records.set(id, JSON.parse(JSON.stringify(record)) as AnswerRecord);
    return id;
  }

  async recall(id: string): Promise<AnswerRecord | undefined> {
    return this.records.get(id);
  }

  async explain(record: AnswerRecord): Promise<Explanation> {
    this.explained.push(record);
    const sources: SourceRanks[] = record.answer.citations.map((c, i) => ({ n: c.n, title: c.title, location: c.location, url: c.url, bm25Rank: i + 1, vectorRank: i === 0 ? undefined : i + 2, fusedScore: 0.03 - i * 0.005 }));
    sources.push({ title: 'Uncited neighbour', location: 'docs/other.md#x', vectorRank: 9, fusedScore: 0.0101 });
    return { confidence: 0.83, sources };
  }

  async openHandoff(req: HandoffRequest): Promise<Handoff> {
    const h: Handoff = { ...req, id: String(this.handoffs.length + 1), status: 'open' };
    this.handoffs.push(h);
    return h;
  }

  async resolveHandoff(id: string, by: string): Promise<{ handoff: Handoff; changed: boolean } | undefined> {
    const h = this.handoffs.find((x) => x.id === id);
    if (!h) return undefined;
    if (h.status === 'resolved') return { handoff: h, changed: false };
    h.status = 'resolved';
    h.resolvedBy = by;
    return { handoff: h, changed: true };
  }

  async suggestedPrompts(): Promise<SuggestedPrompt[]> {
    return this.prompts;
  }
}
