import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeAnswer } from '../../support/fakeAssistant.ts';
import { BOT, citations, type Harness, sendCommand, sendEvent, startHarness } from './harness.ts';

/** Every `<…>` left in the visible texts of a posted message: these are the live links/mentions. */
function liveMarkup(args: { text?: string; blocks?: Array<{ text?: { text: string }; elements?: Array<{ text?: unknown }> }> }): string[] {
  const texts = [args.text, ...(args.blocks ?? []).flatMap((b) => [b.text?.text, ...(b.elements ?? []).map((e) => e.text)])];
  return texts.filter((t): t is string => typeof t === 'string').flatMap((t) => t.match(/<[^>]*>/g) ?? []);
}

const sourceLink = '<https://docs.example.org/indexes-partial.html#partial|1. Partial indexes>';

describe('Slack escaping of user and model text', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.assistant.respond = (req) => makeAnswer(`Sure <!channel> and <!here>, ping <@U0VICTIM> & see <http://evil.example|here>. You asked: ${req.question}`, citations);
  });
  afterEach(async () => {
    await h.stop();
  });

  it('escapes <!channel> in a slash command\'s question and in the model output', async () => {
    await sendCommand(h, { text: '<!channel> why is my query slow?' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer');
    const update = h.fake.callsTo('chat.update')[0].args;
    const all = JSON.stringify({ text: update.text, blocks: update.blocks.filter((b: { type: string }) => b.type !== 'actions') });
    // The asker's <!channel> is markup, not part of the question: it is dropped before the core.
    expect(all).toContain('Asked by <@U0ASKER>: why is my query slow?');
    // Slack's own link syntax from the model is shown as text: its label, then the URL as code.
    expect(all).toContain('Sure &lt;!channel&gt; and &lt;!here&gt;, ping &lt;@U0VICTIM&gt; &amp; see here (`http://evil.example`)');
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<!here>');
    // Live markup is only what the bot built: the asker's mention and the source link.
    expect(liveMarkup(update)).toEqual(['<@U0ASKER>', sourceLink]);
    expect(update.parse).toBe('none');
  });

  it('escapes <!channel> in a mention\'s question echoed by the model', async () => {
    await sendEvent(h, { type: 'app_mention', user: 'U0ASKER', text: `<@${BOT.userId}> <!channel> is VACUUM FULL safe?`, ts: '1700000500.000100', channel: 'C0GENERAL', event_ts: '1700000500.000100' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer');
    const update = h.fake.callsTo('chat.update')[0].args;
    expect(h.assistant.asks[0].question).toBe('is VACUUM FULL safe?');
    expect(update.text).toContain('You asked: is VACUUM FULL safe?');
    expect(liveMarkup(update)).toEqual([sourceLink]);
  });
});
