import { escapeMarkdown } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { inertLinks } from '../../../adapters/inertLinks.ts';

describe('inertLinks: URLs the bot did not write are shown, not linked', () => {
  it('turns a bare URL, <url> and a masked link into inline code, trimming sentence punctuation', () => {
    expect(inertLinks('See https://evil.example/steal?d=1. Or <https://x.example/z>.')).toBe('See `https://evil.example/steal?d=1`. Or `https://x.example/z`.');
    expect(inertLinks('Read [the guide](https://evil.example/guide "Guide") now')).toBe('Read the guide (`https://evil.example/guide`) now');
    expect(inertLinks('(see https://en.wikipedia.org/wiki/Foo_(bar))')).toBe('(see `https://en.wikipedia.org/wiki/Foo_(bar)`)');
  });

  it('also undoes Slack link syntax, www. addresses and other schemes', () => {
    expect(inertLinks('<https://evil.example|click here> and www.evil.example/a')).toBe('click here (`https://evil.example`) and `www.evil.example/a`');
    expect(inertLinks('connect to postgres://app@db:5432/shop')).toBe('connect to `postgres://app@db:5432/shop`');
  });

  it('does not leave a URL as the text of a masked link', () => {
    expect(inertLinks('[https://good.example](https://evil.example/x)')).toBe('`https://good.example` (`https://evil.example/x`)');
  });

  it('leaves code spans, fenced blocks, citations and words alone', () => {
    const text = 'Run `curl https://in.code/x` [1], then:\n```sh\ncurl https://in.fence/y\n```\nand awww.ok, a@b.example';
    expect(inertLinks(text)).toBe(text);
    expect(inertLinks('~~~\nhttps://a.example\n~~~\nhttps://b.example')).toBe('~~~\nhttps://a.example\n~~~\n`https://b.example`');
  });

  it('escapes the text around the URLs when asked (a title on Discord)', () => {
    expect(inertLinks('*Runbook* https://evil.example/a_b', escapeMarkdown)).toBe('\\*Runbook\\* `https://evil.example/a_b`');
  });
});

describe('answers still being written show their URLs as text too', () => {
  it('Discord and Slack drafts, and the Slack stream', async () => {
    const { renderDraft: discordDraft } = await import('../../../adapters/discord/render.ts');
    const { renderDraft: slackDraft, streamMarkdown } = await import('../../../adapters/slack/render.ts');
    const text = 'Upload your logs to https://evil.example/x and [this](https://evil.example/y)';
    expect(discordDraft(text).map((m) => m.content)).toEqual(['Upload your logs to `https://evil.example/x` and this (`https://evil.example/y`)']);
    expect(JSON.stringify(slackDraft(text))).not.toMatch(/[^`]https:\/\/evil/);
    expect(streamMarkdown(text)).toBe('Upload your logs to `https://evil.example/x` and this (`https://evil.example/y`)');
  });
});
