import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { suppressingEmbeds } from '../../../adapters/discord/suppressEmbeds.ts';
import { KbError } from '../../../src/errors.ts';
import { snowflake, waitUntil, type RecordedRequest } from '../../support/fakeDiscord.ts';
import { makeAnswer } from '../../support/fakeAssistant.ts';
import { buttonIds, callbackOf, editOf, followUpsOf, postedTo, startHarness, threadStartedFrom, type Harness } from './harness.ts';

const SUPPRESS_EMBEDS = 1 << 2;
const API = 'http://127.0.0.1:1/api/v10';

/** What a request sent through suppressingEmbeds reaches the network with. */
async function sent(method: string, path: string, body: unknown): Promise<unknown> {
  let seen: unknown;
  const makeRequest = suppressingEmbeds(async (_url, init) => {
    seen = typeof init.body === 'string' ? JSON.parse(init.body) : init.body;
    return new Response('{}') as never;
  });
  await makeRequest(`${API}${path}`, { method, body: JSON.stringify(body) });
  return seen;
}

describe('suppressingEmbeds (the REST rule)', () => {
  it('sets SuppressEmbeds on every message sent or edited, keeping the other flags', async () => {
    expect(await sent('POST', '/channels/1234567/messages', { content: 'a' })).toEqual({ content: 'a', flags: SUPPRESS_EMBEDS });
    expect(await sent('PATCH', '/channels/1234567/messages/7654321', { content: 'b' })).toEqual({ content: 'b', flags: SUPPRESS_EMBEDS });
    expect(await sent('POST', '/webhooks/1234567/tok-en', { content: 'c', flags: 64 })).toEqual({ content: 'c', flags: 64 | SUPPRESS_EMBEDS });
    expect(await sent('PATCH', '/webhooks/1234567/tok-en/messages/@original', { content: 'd' })).toEqual({ content: 'd', flags: SUPPRESS_EMBEDS });
    expect(await sent('POST', '/interactions/1234567/tok-en/callback', { type: 4, data: { content: 'e', flags: 64 } })).toEqual({ type: 4, data: { content: 'e', flags: 64 | SUPPRESS_EMBEDS } });
    expect(await sent('POST', '/interactions/1234567/tok-en/callback', { type: 7, data: { components: [] } })).toEqual({ type: 7, data: { components: [], flags: SUPPRESS_EMBEDS } });
    expect(await sent('POST', '/channels/1234567/threads', { name: 'post', message: { content: 'f' } })).toEqual({ name: 'post', message: { content: 'f', flags: SUPPRESS_EMBEDS } });
  });

  it('leaves alone what is not a message: a deferral, a thread, a reaction, typing', async () => {
    expect(await sent('POST', '/interactions/1234567/tok-en/callback', { type: 5, data: { flags: 64 } })).toEqual({ type: 5, data: { flags: 64 } });
    expect(await sent('POST', '/channels/1234567/messages/7654321/threads', { name: 'q' })).toEqual({ name: 'q' });
    expect(await sent('POST', '/channels/1234567/typing', {})).toEqual({});
    expect(await sent('PUT', '/applications/1234567/commands', [{ name: 'ask' }])).toEqual([{ name: 'ask' }]);
  });
});

/** Requests that create or edit a message, as Discord's REST API has them. */
function messageWrites(requests: RecordedRequest[]): RecordedRequest[] {
  return requests.filter(
    (r) =>
      (r.method === 'POST' && /^\/channels\/\d+\/messages$/.test(r.path)) ||
      (r.method === 'PATCH' && /^\/channels\/\d+\/messages\/\d+$/.test(r.path)) ||
      (r.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(r.path)) ||
      (r.method === 'PATCH' && /^\/webhooks\/\d+\/[^/]+\/messages\/[^/]+$/.test(r.path)) ||
      (r.method === 'POST' && /\/callback$/.test(r.path) && [4, 7].includes(r.body?.type)),
  );
}

const flagsOf = (r: RecordedRequest): number => (/\/callback$/.test(r.path) ? r.body.data?.flags : r.body.flags) ?? 0;

describe('Discord adapter: every message the bot sends or edits carries SuppressEmbeds', () => {
  const responder = snowflake();
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ config: () => ({ handoff: { users: [responder], roles: [] } }) });
  });
  afterEach(async () => {
    await h.stop();
  });

  it('answers, follow-ups, edits, button replies and updates, hand-offs and error notices', async () => {
    const { fake, assistant } = h;
    // A mention answered in a thread, with a URL in the answer.
    const mention = fake.postMessage({ content: `<@${fake.bot.id}> Where is the runbook?`, mentionBot: true });
    const threadId = await threadStartedFrom(fake, mention.id);
    await waitUntil(() => postedTo(fake, threadId).length > 0, 5_000, 'the answer');
    // A long /ask: the deferred reply edited, the rest as follow-ups.
    assistant.respond = () => makeAnswer(Array.from({ length: 20 }, (_, i) => `Paragraph ${i}: ${'see https://example.org/x. '.repeat(6)}`).join('\n\n'));
    const ask = fake.slashCommand('Tell me everything');
    await fake.waitForRequest(editOf(fake.applicationId, ask.token));
    const last = await waitUntil(() => fake.requests.filter(followUpsOf(fake.applicationId, ask.token)).find((r) => r.body.components?.length), 5_000, 'the last follow-up');
    // 👍, then "I need a human" and its "Resolved", under the answer's last message.
    const message = fake.messages.get(last.response.id)!;
    const vote = fake.clickButton(buttonIds(last.body).find((c) => c.startsWith('feedback:up'))!, message);
    await fake.waitForRequest(editOf(fake.applicationId, vote.token));
    const human = fake.clickButton(buttonIds(last.body).find((c) => c.startsWith('kb:human:'))!, message);
    const handoff = await waitUntil(() => postedTo(fake, fake.channelId).find((r) => buttonIds(r.body).some((c) => c.startsWith('kb:resolved:'))), 5_000, 'the hand-off');
    await fake.waitForRequest(editOf(fake.applicationId, human.token));
    const resolve = fake.clickButton(buttonIds(handoff.body)[0]!, handoff.response, { ...fake.bystander });
    await fake.waitForRequest(callbackOf(resolve.id, resolve.token));
    // A failure notice in a DM.
    assistant.respond = () => {
      throw new KbError('db/unavailable');
    };
    fake.postMessage({ content: 'Why is it slow?', guild: false });
    await waitUntil(() => postedTo(fake, fake.dmChannelId).length > 0, 5_000, 'the notice');

    const writes = messageWrites(fake.requests);
    expect(writes.length).toBeGreaterThanOrEqual(9);
    for (const w of writes) expect({ request: `${w.method} ${w.path}`, suppressed: (flagsOf(w) & SUPPRESS_EMBEDS) === SUPPRESS_EMBEDS }).toEqual({ request: `${w.method} ${w.path}`, suppressed: true });
  });
});
