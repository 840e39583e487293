import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { askAboutMessageCommand, askCommand, BOT_PERMISSIONS, inviteUrl, registerCommands } from '../../../adapters/discord/commands.ts';
import { KbError } from '../../../src/errors.ts';
import { FakeDiscord } from '../../support/fakeDiscord.ts';

describe('Discord commands', () => {
  let fake: FakeDiscord;
  beforeEach(async () => {
    fake = await FakeDiscord.start();
  });
  afterEach(async () => {
    await fake.stop();
  });

  it('defines /ask with a required question, usable in servers and bot DMs', () => {
    expect(askCommand.name).toBe('ask');
    expect(askCommand.options).toEqual([expect.objectContaining({ name: 'question', type: 3, required: true })]);
    expect(askCommand.contexts).toEqual([0, 1]);
  });

  it('registers the commands in one guild with a bulk overwrite', async () => {
    const result = await registerCommands({ token: 'tok', applicationId: fake.applicationId, guildId: fake.guildId, apiUrl: fake.apiUrl });
    const put = fake.requests.find((r) => r.method === 'PUT');
    expect(put?.path).toBe(`/applications/${fake.applicationId}/guilds/${fake.guildId}/commands`);
    expect(put?.authorization).toBe('Bot tok');
    expect(put?.body).toEqual([askCommand, askAboutMessageCommand]);
    expect(put?.body[1]).toMatchObject({ name: 'Ask the knowledge base', type: 3 });
    expect(result).toEqual({ applicationId: fake.applicationId, scope: 'guild', names: ['ask', 'Ask the knowledge base'] });
  });

  it('registers globally, finding the application id from the token when it is not configured', async () => {
    const result = await registerCommands({ token: 'tok', apiUrl: fake.apiUrl });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /applications/@me', `PUT /applications/${fake.applicationId}/commands`]);
    expect(result.scope).toBe('global');
  });

  it('explains a rejected token instead of surfacing the raw API error', async () => {
    fake.failRequests('PUT', /commands$/, 401, { message: '401: Unauthorized', code: 0 });
    const err = await registerCommands({ token: 'bad', applicationId: fake.applicationId, apiUrl: fake.apiUrl }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KbError);
    expect((err as KbError).code).toBe('config/invalid');
    expect((err as KbError).userMessage).toMatch(/DISCORD_TOKEN/);
  });

  it('builds the invite URL with bot + applications.commands and the permissions the README documents', () => {
    // No Embed Links: every message suppresses embeds, and the sources are plain text.
    expect(BOT_PERMISSIONS).toBe(309237713984n);
    const url = new URL(inviteUrl('123456789012345678'));
    expect(url.searchParams.get('scope')).toBe('bot applications.commands');
    expect(url.searchParams.get('permissions')).toBe('309237713984');
    const readme = readFileSync(new URL('../../../adapters/discord/README-section.md', import.meta.url), 'utf8');
    expect(readme).toContain(`permissions=${BOT_PERMISSIONS}`);
  });
});
