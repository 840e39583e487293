import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PLACEHOLDER_TEXT } from '../../../adapters/slack/render.ts';
import { deferred } from '../../support/deferred.ts';
import { type Harness, sendCommand, slackAnswer, startHarness } from './harness.ts';

describe('Slack /ask over HTTP', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ channelScopes: { C0SCOPED: ['pg-docs'] } });
  });
  afterEach(async () => {
    await h.stop();
  });

  it('acknowledges at once, then replaces a placeholder with the answer, source links and feedback buttons', async () => {
    const gate = deferred();
    h.assistant.respond = async (req) => {
      await gate.promise;
      return slackAnswer(req);
    };
    const res = await sendCommand(h, { text: 'How do I create a partial index?' });
    // The HTTP response (the ack) came back while the answer was still being worked on.
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    await h.fake.waitFor(() => h.fake.callsTo('chat.postMessage').length === 1, 'placeholder');
    expect(h.fake.callsTo('chat.update')).toHaveLength(0);
    const placeholder = h.fake.callsTo('chat.postMessage')[0].args;
    expect(placeholder).toMatchObject({ channel: 'C0GENERAL', text: PLACEHOLDER_TEXT });
    gate.resolve();

    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer');
    const update = h.fake.callsTo('chat.update')[0].args;
    const ts = h.fake.messages[0].ts;
    expect(update.ts).toBe(ts);
    const texts = JSON.stringify(update.blocks);
    expect(texts).toContain('Create it with CREATE INDEX');
    expect(texts).toContain('<https://docs.example.org/indexes-partial.html#partial|1. Partial indexes>');
    expect(texts).toContain('2. Internal runbook — runbooks/vacuum.md#vacuum');
    const actions = update.blocks.find((b: { type: string }) => b.type === 'actions');
    expect(actions.elements.map((e: { action_id: string }) => e.action_id)).toEqual(['feedback_up', 'feedback_down', 'kb_why']);
    expect(update.text).toContain('Create it with CREATE INDEX');

    expect(h.assistant.asks).toHaveLength(1);
    expect(h.assistant.asks[0]).toMatchObject({ question: 'How do I create a partial index?', user: 'slack:U0ASKER', conversation: { platform: 'slack', channel: 'C0GENERAL', thread: ts } });
    // C0GENERAL has no entry in the map and the map has no "*": nothing (the real core refuses).
    expect(h.assistant.asks[0].scope).toEqual([]);
  });

  it('answers an empty /ask with private usage help and asks nothing', async () => {
    const res = await sendCommand(h, { text: '   ' });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toContain('Usage: /ask');
    expect(h.assistant.asks).toHaveLength(0);
    expect(h.fake.calls).toHaveLength(0);
  });

  it('passes the channel\'s collections as scope', async () => {
    await sendCommand(h, { text: 'vacuum?', channel_id: 'C0SCOPED' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer');
    expect(h.assistant.asks[0].scope).toEqual(['pg-docs']);
  });

  it('answers the same command delivered twice only once', async () => {
    await sendCommand(h, { text: 'twice?', trigger_id: 'trig.same' });
    await sendCommand(h, { text: 'twice?', trigger_id: 'trig.same' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer');
    await h.fake.waitFor(() => h.logs.some((l) => l.includes('duplicate delivery ignored')), 'duplicate log');
    expect(h.assistant.asks).toHaveLength(1);
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('answers through the response_url when the bot is not in the channel', async () => {
    h.fake.failOnce('chat.postMessage', 'not_in_channel');
    await sendCommand(h, { text: 'where am I?', responseId: 'outside' });
    await h.fake.waitFor(() => h.fake.responsesTo('outside').length === 1, 'response_url answer');
    const reply = h.fake.responsesTo('outside')[0];
    expect(reply.response_type).toBe('in_channel');
    expect(JSON.stringify(reply.blocks)).toContain('Create it with CREATE INDEX');
  });

  it('shows a KbError\'s short message, never the stack, and logs the cause', async () => {
    const { KbError } = await import('../../../src/errors.ts');
    h.assistant.failures.push(new KbError('rate/limited', 'You are asking too quickly; try again in 30 seconds.'));
    await sendCommand(h, { text: 'again?' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'failure notice');
    const update = h.fake.callsTo('chat.update')[0].args;
    expect(update.text).toContain('You are asking too quickly; try again in 30 seconds.');
    expect(JSON.stringify(update)).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('hides an unexpected error behind a generic message and logs its cause', async () => {
    h.assistant.failures.push(new Error('connection to shard 7 exploded'));
    await sendCommand(h, { text: 'boom?' });
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'failure notice');
    const shown = JSON.stringify(h.fake.callsTo('chat.update')[0].args);
    expect(shown).toContain('Something went wrong on our side');
    expect(shown).not.toContain('exploded');
    await h.fake.waitFor(() => h.logs.some((l) => l.includes('connection to shard 7 exploded')), 'logged cause');
  });
});

describe('Slack /ask with private replies', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ replyPrivately: true });
  });
  afterEach(async () => {
    await h.stop();
  });

  it('acks with a private placeholder and answers through the response_url', async () => {
    const res = await sendCommand(h, { text: 'private question?', responseId: 'priv' });
    expect(JSON.parse(res.text)).toMatchObject({ response_type: 'ephemeral', text: PLACEHOLDER_TEXT });
    await h.fake.waitFor(() => h.fake.responsesTo('priv').length === 1, 'private answer');
    const reply = h.fake.responsesTo('priv')[0];
    expect(reply.response_type).toBe('ephemeral');
    expect(JSON.stringify(reply.blocks)).toContain('You asked: private question?');
    expect(h.fake.callsTo('chat.postMessage')).toHaveLength(0);
  });
});
