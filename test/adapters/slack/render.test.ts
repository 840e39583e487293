import { describe, expect, it } from 'vitest';
import { escapeMrkdwn, slackLink, splitMrkdwn, unescapeMrkdwn } from '../../../adapters/slack/mrkdwn.ts';
import { answerTextFromBlocks, decodeFeedbackValue, encodeFeedbackValue, MAX_BLOCKS, renderAnswer, SECTION_TEXT_LIMIT } from '../../../adapters/slack/render.ts';
import type { Answer } from '../../../src/answer/types.ts';
import { citations } from './harness.ts';

const answer = (text: string, extra: Partial<Answer> = {}): Answer => ({ text, citations, confidence: 0.8, refused: false, standaloneQuestion: 'q', ...extra });

describe('Slack rendering', () => {
  it('escapes &, < and > so pings and links in text are inert', () => {
    expect(escapeMrkdwn('<!channel> & <@U1> <https://x|y>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;https://x|y&gt;');
    expect(unescapeMrkdwn(escapeMrkdwn('a &lt; <b> & c'))).toBe('a &lt; <b> & c');
  });

  it('builds live links only for http(s) URLs, with the URL made safe inside <…|…>', () => {
    expect(slackLink('https://e.org/a?x=1&y=<2>|3', 'T <b>')).toBe('<https://e.org/a?x=1&amp;y=%3C2%3E%7C3|T &lt;b&gt;>');
    expect(slackLink('javascript:alert(1)', 'Title')).toBe('Title');
  });

  it('splits at paragraph boundaries and never cuts an entity in half', () => {
    const text = escapeMrkdwn(`${'a'.repeat(2999)}&${'b'.repeat(10)}`);
    const parts = splitMrkdwn(text, 3000);
    expect(parts.map((p) => p.length).every((n) => n <= 3000)).toBe(true);
    expect(parts[1].startsWith('&amp;')).toBe(true);
    expect(splitMrkdwn('one\n\ntwo', 5)).toEqual(['one', 'two']);
  });

  it('keeps a huge answer within 50 blocks, each section within 3,000 characters', () => {
    const huge = Array.from({ length: 200 }, (_, i) => `Paragraph ${i} ${'x'.repeat(2000)}`).join('\n\n');
    const { blocks, text } = renderAnswer(answer(huge), { question: 'q' });
    expect(blocks.length).toBe(MAX_BLOCKS);
    for (const b of blocks) if (b.type === 'section') expect(b.text!.text.length).toBeLessThanOrEqual(SECTION_TEXT_LIMIT);
    expect(JSON.stringify(blocks)).toContain('(answer truncated)');
    expect(text.length).toBeLessThanOrEqual(3000);
  });

  it('shows a note and converts **bold** to Slack\'s *bold*', () => {
    const { blocks } = renderAnswer(answer('Use **CONCURRENTLY**.', { note: 'The language model was unavailable <sad>' }), { question: 'q' });
    const json = JSON.stringify(blocks);
    expect(json).toContain('Use *CONCURRENTLY*.');
    expect(json).toContain('_The language model was unavailable &lt;sad&gt;_');
  });

  it('packs feedback into a button value of at most 2,000 characters, and reads the answer back', () => {
    const long = 'y'.repeat(5000);
    const value = encodeFeedbackValue('q'.repeat(1000), answer(long));
    expect(value.length).toBeLessThanOrEqual(2000);
    const decoded = decodeFeedbackValue(value)!;
    expect(decoded.question).toBe('q'.repeat(300));
    expect(decoded.citations.map((c) => c.n)).toEqual([1, 2]);
    expect(long.startsWith(decoded.answer)).toBe(true);
    expect(decodeFeedbackValue('not json')).toBeUndefined();
    const { blocks } = renderAnswer(answer('a & <b>'), { question: 'q' });
    expect(answerTextFromBlocks(blocks)).toBe('a & <b>');
  });
});
