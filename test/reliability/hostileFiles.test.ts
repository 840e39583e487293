import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHtml } from '../../src/ingest/htmlParser.ts';
import { parseMarkdown } from '../../src/ingest/markdownParser.ts';
import { MAX_FILE_BYTES, readSource } from '../../src/ingest/sourceFiles.ts';
import { writeFolder } from '../support/reliabilityKit.ts';

/**
 * Files written to hurt the ingest: lines that make a backtracking pattern explode, and a
 * file far larger than the 20 MB limit. Each of these once ran for minutes (or loaded
 * gigabytes) and now finishes at once; the suite's timeout is what would catch a return.
 */
describe('hostile files', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await writeFolder({});
  });
  afterAll(async () => {
    await fs.rm(folder, { recursive: true, force: true });
  });

  it('parses a Markdown heading followed by 20,000 spaces and "#a" (cubic backtracking before: over an hour)', () => {
    const hostile = `# a${' '.repeat(20_000)}#a`;
    const doc = parseMarkdown(`${hostile}\n\nbody text\n\n## Closed heading ##\n\nmore text`, 'fallback');
    expect(doc.title).toBe(`a${' '.repeat(20_000)}#a`);
    expect(doc.sections.map((s) => s.heading)).toEqual([doc.title, 'Closed heading']);
    expect(doc.sections[1]!.anchor).toBe('closed-heading');
  });

  it('parses a heading line of 20,000 spaces with no text, and one of 20,000 hashes', () => {
    const doc = parseMarkdown(`#${' '.repeat(20_000)}\n\nunder an empty heading\n\n${'#'.repeat(20_000)}\n\nplain text`, 'fallback');
    expect(doc.sections).toHaveLength(1);
    expect(doc.sections[0]!.heading).toBe('');
    // Seven or more hashes are not a heading: the line stays text.
    expect(doc.sections[0]!.blocks).toEqual(['under an empty heading', '#'.repeat(20_000), 'plain text']);
  });

  it('parses an HTML code block ending in 300,000 spaces and a letter (quadratic before: minutes)', () => {
    const doc = parseHtml(`<html><body><h1>Code</h1><pre>SELECT 1;${' '.repeat(300_000)}x</pre></body></html>`, 'fallback');
    expect(doc.sections[0]!.blocks[0]).toMatch(/^```\nSELECT 1; +x\n```$/);
  });

  it('refuses a file over 20 MB from its size, without reading it (a sparse 3 GB .txt)', async () => {
    const absPath = path.join(folder, 'huge.txt');
    // Sparse: no disk blocks. Reading it whole would fail (over 2 GB) or load gigabytes.
    await fs.writeFile(absPath, '');
    await fs.truncate(absPath, 3 * 1024 ** 3);
    await expect(readSource({ source: 'huge.txt', absPath, kind: 'text' })).rejects.toThrow('huge.txt: larger than 20 MB');
  });

  it('still reads a file of exactly 20 MB', async () => {
    const absPath = path.join(folder, 'limit.txt');
    await fs.writeFile(absPath, Buffer.alloc(MAX_FILE_BYTES, 'a'));
    const source = await readSource({ source: 'limit.txt', absPath, kind: 'text' });
    expect(source.text).toHaveLength(MAX_FILE_BYTES);
  });
});
