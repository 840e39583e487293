import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KbError } from '../../../src/errors.ts';
import { waitUntil } from '../../support/fakeDiscord.ts';
import { callbackOf, editOf, postedTo, startHarness, type Harness } from './harness.ts';

const BUSY = "I'm answering a lot of questions right now; please ask again in a minute.";

/**
 * A question the core turns away at admission (here: the bot is busy) shows only the
 * reason: no thread is started, no typing shown, no "thinking…" deferral.
 */
describe('Discord: admission before anything is shown', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.assistant.admission = () => new KbError('service/busy');
  });
  afterEach(async () => {
    await h.stop();
  });

  it('a mention: a reply with the reason in the channel, no thread, no typing', async () => {
    const { fake, assistant } = h;
    const msg = fake.postMessage({ content: `<@${fake.bot.id}> What is MVCC?`, mentionBot: true });
    const [reply] = await waitUntil(() => (postedTo(fake, fake.channelId).length ? postedTo(fake, fake.channelId) : undefined), 5_000, 'the reply');
    expect(reply!.body.content).toBe(BUSY);
    expect(reply!.body.message_reference).toMatchObject({ message_id: msg.id });
    expect(fake.threads).toEqual([]);
    expect(fake.requests.filter((r) => /\/typing$/.test(r.path))).toEqual([]);
    expect(assistant.admissions).toEqual([{ question: 'What is MVCC?', user: `discord:${fake.human.id}` }]);
    expect(assistant.asks).toEqual([]);
  });

  it('/ask: an ephemeral reply with the reason instead of a deferral', async () => {
    const { fake, assistant } = h;
    const { id, token } = fake.slashCommand('What is MVCC?');
    const callback = await fake.waitForRequest(callbackOf(id, token));
    expect(callback.body).toMatchObject({ type: 4, data: { content: BUSY, flags: 64 | 4 } });
    expect(fake.requests.some(editOf(fake.applicationId, token))).toBe(false);
    expect(assistant.asks).toEqual([]);
  });

  it('the message command: no thread on the message; the presser is told privately', async () => {
    const { fake, assistant } = h;
    const target = fake.postMessage({ content: 'does VACUUM FULL lock the table?' });
    const { token } = fake.messageCommand('Ask the knowledge base', target);
    const note = await fake.waitForRequest(editOf(fake.applicationId, token));
    expect(note.body.content).toBe(BUSY);
    expect(fake.threads).toEqual([]);
    expect(assistant.asks).toEqual([]);
  });
});
