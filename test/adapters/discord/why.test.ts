import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buttonIds, callbackOf, editOf, startHarness, threadStartedFrom, waitForPosts, type Harness } from './harness.ts';

describe('Discord "Why these sources"', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.stop();
  });

  it("shows each source's ranks ephemerally to whoever pressed it", async () => {
    const { fake } = h;
    const msg = fake.postMessage({ content: `<@${fake.bot.id}> What is a partial index?`, mentionBot: true });
    const [reply] = await waitForPosts(fake, await threadStartedFrom(fake, msg.id), 1);
    const whyId = buttonIds(reply!.body).find((c) => c.startsWith('kb:why:'))!;

    const click = fake.clickButton(whyId, reply!.response, fake.bystander);
    const deferred = await fake.waitForRequest(callbackOf(click.id, click.token));
    const shown = await fake.waitForRequest(editOf(fake.applicationId, click.token));

    expect(deferred.body).toMatchObject({ type: 5, data: { flags: 64 } });
    expect(shown.body.content).toContain('1. **Partial indexes 1** `docs/indexes-1.md#creating`\n   BM25 rank 1 · vector rank – · fused 0.0300 · cited as [1]');
    expect(shown.body.content).toContain('3. **Uncited neighbour** `docs/other.md#x`\n   BM25 rank – · vector rank 9 · fused 0.0101');
    expect(shown.body.allowed_mentions).toEqual({ parse: [] });
    expect(h.actions.explained[0]).toMatchObject({ question: 'What is a partial index?', asker: fake.human.id });
  });
});
