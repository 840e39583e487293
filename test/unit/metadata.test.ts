import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { parseHtml } from '../../src/ingest/htmlParser.ts';
import { parseMarkdown } from '../../src/ingest/markdownParser.ts';
import { AnswerCache } from '../../src/cache/answerCache.ts';
import { MemoryStore } from '../../src/cache/memoryStore.ts';
import { checkedFilter, fileMetadata, parseKeyValues } from '../../src/store/metadata.ts';
import { scopeOf, type SlackConfig } from '../../adapters/slack/deps.ts';

describe('document metadata', () => {
  it('reads Markdown front matter as metadata and keeps it out of the text', () => {
    const doc = parseMarkdown('---\nlanguage: en\ncategory: "technical"\ntags: [a, b]\nnested:\n  x: 1\n---\n# Title\n\nBody text.\n', 'fallback');
    expect(fileMetadata(doc.metadata!)).toEqual({ language: 'en', category: 'technical' });
    expect(doc.title).toBe('Title');
    expect(doc.sections.flatMap((s) => s.blocks)).toEqual(['Body text.']);
  });

  it('leaves a Markdown file without front matter as it was', () => {
    const doc = parseMarkdown('# Title\n\n---\n\nkey: value\n', 'fallback');
    expect(doc.metadata).toEqual({});
    expect(doc.sections.flatMap((s) => s.blocks)).toEqual(['---', 'key: value']);
  });

  it('reads HTML <meta name> tags, lower-casing their names', () => {
    const doc = parseHtml('<html><head><title>T</title><meta name="Language" content="en"><meta charset="utf-8"><meta name="category" content=" howto "></head><body><p>x</p></body></html>', 'f');
    expect(fileMetadata(doc.metadata!)).toEqual({ language: 'en', category: 'howto' });
  });

  it('parses key=value pairs and refuses malformed ones in one line', () => {
    expect(parseKeyValues(['language=en', 'Category=a=b'], '--meta')).toEqual({ language: 'en', category: 'a=b' });
    expect(() => parseKeyValues(['language'], '--filter')).toThrow(/--filter "language": use key=value/);
    expect(() => parseKeyValues(["x'; DROP TABLE chunks;--=1"], '--filter')).toThrow(/use key=value/);
  });

  it('accepts filter keys from the allow-list only', () => {
    const allowed = loadConfig({}).metadataFilterKeys;
    expect(allowed).toEqual(['language', 'category']);
    expect(checkedFilter({ language: 'en' }, allowed)).toEqual({ language: 'en' });
    expect(checkedFilter({}, allowed)).toBeUndefined();
    expect(() => checkedFilter({ owner: 'x' }, allowed)).toThrow(/Cannot filter on "owner": the filterable metadata keys are language, category \(METADATA_FILTER_KEYS\)/);
    expect(loadConfig({ METADATA_FILTER_KEYS: 'team, product' }).metadataFilterKeys).toEqual(['team', 'product']);
    expect(() => loadConfig({ METADATA_FILTER_KEYS: 'Bad Key' })).toThrow(/METADATA_FILTER_KEYS/);
  });

  it('reads channel scope entries with a filter, and refuses filter keys outside the allow-list', () => {
    const c = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 's',
      SLACK_CHANNEL_SCOPES: JSON.stringify({ C1: ['runbooks'], C2: { collections: ['docs'], filter: { language: 'en', category: 'howto' } }, C3: { filter: { language: 'de' } } }),
    });
    // An entry with a filter and no collections searches the default collection (KB_COLLECTION).
    expect(c.slack?.channelScopes).toEqual({ C1: ['runbooks'], C2: ['docs'], C3: ['default'] });
    expect(c.slack?.channelFilters).toEqual({ C1: {}, C2: { language: 'en', category: 'howto' }, C3: { language: 'de' } });
    const slack = { ...c.slack!, port: 0 } as SlackConfig;
    expect(scopeOf(slack, 'C2')).toEqual({ scope: ['docs'], filter: { language: 'en', category: 'howto' } });
    expect(scopeOf(slack, 'C1')).toStrictEqual({ scope: ['runbooks'], filter: undefined });
    expect(scopeOf(slack, 'C3')).toEqual({ scope: ['default'], filter: { language: 'de' } });
    expect(scopeOf(slack, 'C9')).toStrictEqual({ scope: [] });
    expect(() => loadConfig({ DISCORD_TOKEN: 't', DISCORD_CHANNEL_SCOPES: JSON.stringify({ '123': { filter: { owner: 'me' } } }) })).toThrow(
      /DISCORD_CHANNEL_SCOPES: channel 123 filters on owner, which METADATA_FILTER_KEYS \(language, category\) does not list/,
    );
    expect(() => loadConfig({ DISCORD_TOKEN: 't', DISCORD_CHANNEL_SCOPES: JSON.stringify({ '123': { filters: {} } }) })).toThrow(/DISCORD_CHANNEL_SCOPES/);
  });

  it('caches answers from filtered retrieval apart from unfiltered ones', () => {
    const cache = new AnswerCache(new MemoryStore({ prefix: 't:' }));
    const base = { question: 'q', scope: ['default'], identity: 'm|p' };
    expect(cache.key({ ...base, filter: { language: 'en' } })).not.toBe(cache.key(base));
    expect(cache.key({ ...base, filter: { language: 'en', category: 'a' } })).toBe(cache.key({ ...base, filter: { category: 'a', language: 'en' } }));
    expect(cache.key({ ...base, filter: {} })).toBe(cache.key(base));
  });
});
