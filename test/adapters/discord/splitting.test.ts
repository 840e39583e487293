import { describe, expect, it } from 'vitest';
import { renderAnswer, renderSources } from '../../../adapters/discord/render.ts';
import { splitMessage } from '../../../adapters/discord/splitMessage.ts';
import { citation, makeAnswer } from '../../support/fakeAssistant.ts';
import { waitUntil } from '../../support/fakeDiscord.ts';
import { postedTo, startHarness, threadStartedFrom } from './harness.ts';

const fenceLines = (chunk: string) => chunk.split('\n').filter((line) => /^ {0,3}```/.test(line)).length;

/** Undoes the splitter's fence repairs: a non-final chunk ending in ``` had it added, and the next chunk's first line reopens. */
function stitch(chunks: string[]): string {
  let out = '';
  let reopened = false;
  chunks.forEach((chunk, i) => {
    let c = reopened ? chunk.slice(chunk.indexOf('\n') + 1) : chunk;
    reopened = i < chunks.length - 1 && c.endsWith('```');
    if (reopened) c = c.slice(0, -3);
    out += c;
  });
  return out;
}

function longAnswerWithCode(): string {
  const prose = (n: number) => Array.from({ length: n }, (_, i) => `Sentence ${i} explains why the planner prefers an index scan here. `).join('');
  const sql = Array.from({ length: 90 }, (_, i) => `CREATE INDEX CONCURRENTLY idx_orders_${i} ON orders (customer_id) WHERE status = 'open';`).join('\n');
  const text = [prose(20), prose(15), '```sql\n' + sql + '\n```', prose(25), prose(10)].join('\n\n');
  return text.length >= 9000 ? text : text + '\n\n' + prose(Math.ceil((9000 - text.length) / 60));
}

describe('splitMessage', () => {
  it('keeps a message that fits as it is', () => {
    expect(splitMessage('Use a partial index.')).toEqual(['Use a partial index.']);
    expect(splitMessage('x'.repeat(2000))).toEqual(['x'.repeat(2000)]);
  });

  it('splits on paragraph boundaries when it can, losing nothing', () => {
    const paragraphs = Array.from({ length: 6 }, (_, i) => `${i}`.repeat(700));
    const text = paragraphs.join('\n\n');
    const chunks = splitMessage(text);
    expect(chunks.join('')).toBe(text);
    expect(chunks.every((c) => c.length <= 2000)).toBe(true);
    for (const c of chunks.slice(0, -1)) expect(c.endsWith('\n\n')).toBe(true);
  });

  it('falls back to sentence boundaries inside one long paragraph', () => {
    const text = Array.from({ length: 80 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const chunks = splitMessage(text);
    expect(chunks.join('')).toBe(text);
    for (const c of chunks.slice(0, -1)) expect(c).toMatch(/\. $/);
  });

  it('closes a split code block and reopens it with its language in the next message', () => {
    const code = Array.from({ length: 200 }, (_, i) => `SELECT ${i} AS n FROM generate_series(1, 10);`).join('\n');
    const text = `Run this:\n\n\`\`\`sql\n${code}\n\`\`\`\n\nDone.`;
    const chunks = splitMessage(text);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(2000);
      expect(fenceLines(c) % 2).toBe(0);
    }
    for (const c of chunks.slice(1, -1)) expect(c.startsWith('```sql\n')).toBe(true);
    expect(stitch(chunks)).toBe(text);
  });

  it('hard-splits a single enormous word without breaking a surrogate pair', () => {
    const text = '🐘'.repeat(2500);
    const chunks = splitMessage(text);
    expect(chunks.join('')).toBe(text);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(2000);
      expect(c).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    }
  });
});

describe('renderSources', () => {
  it('fits one message however many sources there are', () => {
    const many = Array.from({ length: 120 }, (_, i) => citation(i + 1, { title: `A very long source title about B-tree page splits ${'x'.repeat(150)}` }));
    const sources = renderSources(many);
    expect(sources.length).toBeLessThanOrEqual(1800);
    expect(sources.startsWith('**Sources**\n**[1]** [A very long source title')).toBe(true);
    expect(sources).toMatch(/…and \d+ more$/);
  });

  it('escapes link text and links only http(s) URLs', () => {
    const sources = renderSources([
      citation(1, { title: 'Arrays [] and *stars*', url: 'https://example.org/a(b)' }),
      citation(2, { title: 'Local notes', url: 'javascript:alert(1)' }),
    ]);
    expect(sources).toContain('[Arrays \\[\\] and \\*stars\\*](https://example.org/a%28b%29)');
    expect(sources).not.toContain('javascript:');
    expect(sources).toContain('`docs/indexes-2.md#creating`');
  });

  it('shows a URL in a document title as text, not as a second link', () => {
    const sources = renderSources([citation(1, { title: 'Runbook https://evil.example/x', heading: 'See [here](https://evil.example/y)' }), citation(2, { title: 'Notes www.evil.example', url: undefined })]);
    expect(sources).toContain('[Runbook `https://evil.example/x`](https://docs.example.org/indexes-1#creating)');
    expect(sources).toContain('— See here (`https://evil.example/y`)');
    expect(sources).toContain('**[2]** Notes `www.evil.example` — ');
    expect(sources.match(/\]\(/g)).toHaveLength(1);
  });

  it('puts the sources and buttons only on the last message of a long answer', () => {
    const messages = renderAnswer(makeAnswer('word '.repeat(1000)));
    expect(messages.length).toBe(3);
    expect(messages.slice(0, -1).every((m) => m.components === undefined && !m.content.includes('**Sources**'))).toBe(true);
    expect(messages.at(-1)!.content).toContain('**Sources**\n**[1]** [Partial indexes 1](https://docs.example.org/indexes-1#creating)');
    expect(messages.at(-1)!.components).toHaveLength(1);
  });
});

describe('at most three messages per answer', () => {
  it('cuts a 9,000-character answer to three balanced messages, with a note, keeping its start and the sources', () => {
    const text = longAnswerWithCode();
    expect(splitMessage(text).length).toBeGreaterThan(3);
    const messages = renderAnswer(makeAnswer(text)).map((m) => m.content);
    expect(messages).toHaveLength(3);
    for (const c of messages) {
      expect(c.length).toBeLessThanOrEqual(2000);
      expect(fenceLines(c) % 2).toBe(0);
    }
    const shown = stitch(messages);
    expect(shown).toContain('_(The answer was cut short to fit in three messages.)_');
    const kept = shown.slice(0, shown.indexOf('\n\n_(The answer was cut short'));
    // What is kept is the answer's beginning (an open code block closed where it was cut).
    expect(text.startsWith(kept.replace(/\n```$/, ''))).toBe(true);
    expect(kept.length).toBeGreaterThan(4000);
    expect(messages.at(-1)).toContain('**Sources**');
  });

  it('keeps an answer that fits, whole', () => {
    const text = 'word '.repeat(1000).trim();
    expect(stitch(renderAnswer(makeAnswer(text)).map((m) => m.content))).not.toContain('cut short');
  });
});

describe('Discord adapter: long answers', () => {
  it('posts a 9,000-character answer with a code block as at most three balanced messages, the buttons on the last', async () => {
    const h = await startHarness();
    try {
      const { fake, assistant } = h;
      const text = longAnswerWithCode();
      expect(text.length).toBeGreaterThanOrEqual(9000);
      assistant.respond = () => makeAnswer(text);
      const msg = fake.postMessage({ content: `<@${fake.bot.id}> Show me all the indexes`, mentionBot: true });
      const threadId = await threadStartedFrom(fake, msg.id);
      // The buttons come with the answer's last message.
      await waitUntil(() => postedTo(fake, threadId).find((p) => (p.body.components ?? []).length > 0), 10_000, 'the last message');
      const posts = postedTo(fake, threadId);
      const contents = posts.map((p) => p.body.content as string);
      expect(contents).toHaveLength(3);
      for (const c of contents) {
        expect(c.length).toBeLessThanOrEqual(2000);
        expect(fenceLines(c) % 2).toBe(0);
      }
      expect(contents.some((c) => c.startsWith('```sql\n'))).toBe(true);
      expect(contents.at(-1)).toContain('cut short');
      expect(contents.at(-1)).toContain('**Sources**');
      expect(posts.at(-1)!.body.components).toHaveLength(1);
      for (const p of posts) expect(p.body.flags & 4).toBe(4);
    } finally {
      await h.stop();
    }
  });
});
