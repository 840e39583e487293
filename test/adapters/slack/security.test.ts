import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BOT, type Harness, sendCommand, sendEvent, startHarness } from './harness.ts';

const mention = { type: 'app_mention', user: 'U0ASKER', text: `<@${BOT.userId}> Is this request genuine?`, ts: '1700000600.000100', channel: 'C0GENERAL', event_ts: '1700000600.000100' };
const now = () => Math.floor(Date.now() / 1000);

describe('Slack request verification', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it('refuses a bad signature with 401 and runs no handler', async () => {
    const res = await sendEvent(h, mention, { secret: 'not-the-signing-secret' });
    expect(res.status).toBe(401);
    const cmd = await sendCommand(h, { text: 'forged?' }, { secret: 'not-the-signing-secret' });
    expect(cmd.status).toBe(401);
    // A correctly signed request afterwards is handled, so the handler was reachable.
    expect((await sendEvent(h, mention)).status).toBe(200);
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'genuine answer');
    expect(h.assistant.asks.map((a) => a.question)).toEqual(['Is this request genuine?']);
    expect(h.assistant.claims).toHaveLength(1);
  });

  it('refuses a correctly signed request stamped 10 minutes in the future', async () => {
    const res = await sendEvent(h, mention, { timestamp: now() + 600 });
    expect(res.status).toBe(401);
    const cmd = await sendCommand(h, { text: 'from the future?' }, { timestamp: now() + 600 });
    expect(cmd.status).toBe(401);
    expect((await sendEvent(h, mention)).status).toBe(200);
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'genuine answer');
    expect(h.assistant.asks).toHaveLength(1);
    expect(h.assistant.claims).toHaveLength(1);
  });

  it('refuses a request stamped 10 minutes in the past (replay)', async () => {
    const res = await sendEvent(h, mention, { timestamp: now() - 600 });
    expect(res.status).toBe(401);
    expect(h.assistant.claims).toHaveLength(0);
  });

  it('accepts a small clock skew (2 minutes ahead)', async () => {
    expect((await sendEvent(h, mention, { timestamp: now() + 120 })).status).toBe(200);
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer');
    expect(h.assistant.asks).toHaveLength(1);
  });

  it('answers GET /healthz with 200 ok', async () => {
    const res = await fetch(`${h.base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
  });

  it('never calls auth.test (authorize is injected) and sends the bot token', async () => {
    await sendEvent(h, mention);
    await h.fake.waitFor(() => h.fake.callsTo('chat.update').length === 1, 'answer');
    expect(h.fake.calls.map((c) => c.method)).not.toContain('auth.test');
    expect(h.fake.calls.every((c) => c.token === 'xoxb-test-token')).toBe(true);
  });
});
