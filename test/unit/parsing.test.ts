import { describe, expect, it } from 'vitest';
import { parseHtml } from '../../src/ingest/htmlParser.ts';
import { parseMarkdown } from '../../src/ingest/markdownParser.ts';
import { chunkDocument, overlapTail } from '../../src/ingest/chunker.ts';

const page = `<html><head><title>11.8. Partial Indexes</title><link rel="up" title="Chapter 11. Performance Tips" href="indexes.html"/></head>
<body><div class="navheader"><a href="prev.html">Prev</a> Navigation junk</div>
<div class="sect1" id="INDEXES-PARTIAL"><h2 class="title">11.8. Partial Indexes</h2><p>A partial index is built over a
subset of a table.</p><pre class="programlisting">CREATE INDEX i ON t (c)
  WHERE NOT done;</pre>
<div class="sect2" id="INDEXES-PARTIAL-EX"><h3>Example</h3><p>Use it for &lt;rare&gt; values.</p></div></div>
<div class="navfooter">Footer junk</div><script>alert(1)</script></body></html>`;

describe('HTML parsing', () => {
  const doc = parseHtml(page, 'fallback');
  it('drops navigation, keeps headings, anchors and code blocks', () => {
    expect(doc.title).toBe('Performance Tips › 11.8. Partial Indexes');
    expect(doc.sections.map((s) => [s.heading, s.anchor])).toEqual([
      ['11.8. Partial Indexes', 'INDEXES-PARTIAL'],
      ['Example', 'INDEXES-PARTIAL-EX'],
    ]);
    const text = JSON.stringify(doc);
    expect(text).not.toMatch(/junk|alert/);
    expect(doc.sections[0]!.blocks).toContain('```\nCREATE INDEX i ON t (c)\n  WHERE NOT done;\n```');
    expect(doc.sections[1]!.blocks[0]).toBe('Use it for <rare> values.');
  });
});

describe('Markdown parsing and chunking', () => {
  it('splits at headings with GitHub-style anchors and keeps fences whole', () => {
    const doc = parseMarkdown('# Title\n\nIntro.\n\n## Partial Indexes!\n\nText.\n\n```sql\nSELECT 1;\n\nSELECT 2;\n```\n', 'f');
    expect(doc.title).toBe('Title');
    expect(doc.sections[1]).toEqual({ heading: 'Partial Indexes!', anchor: 'partial-indexes', blocks: ['Text.', '```sql\nSELECT 1;\n\nSELECT 2;\n```'] });
  });

  it('never mixes sections in one chunk and splits oversized blocks', () => {
    const long = Array.from({ length: 40 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const chunks = chunkDocument({ title: 't', sections: [{ heading: 'A', blocks: ['short'] }, { heading: 'B', blocks: [long] }] }, { maxChars: 300 });
    expect(chunks[0]).toMatchObject({ heading: 'A', content: 'short' });
    expect(chunks.slice(1).every((c) => c.heading === 'B' && c.content.length <= 300)).toBe(true);
    expect(chunks.slice(1).map((c) => c.content).join(' ')).toBe(long);
  });

  it('with overlap, starts each chunk of a section with the previous chunk\'s last sentences, keeping every index', () => {
    const sentences = Array.from({ length: 40 }, (_, i) => `Sentence number ${i} is here.`);
    const code = '```sql\nSELECT 1;\n```';
    const doc = { title: 't', sections: [{ heading: 'A', blocks: [sentences.join(' '), code, 'After the code.'] }, { heading: 'B', blocks: ['Other section.'] }] };
    const chunks = chunkDocument(doc, { maxChars: 300, overlapChars: 60 });
    expect(chunks.map((c) => c.ord)).toEqual(chunks.map((_, i) => i));
    const inA = chunks.filter((c) => c.heading === 'A');
    expect(inA.length).toBeGreaterThan(3);
    for (const c of chunks) expect(c.content.length).toBeLessThanOrEqual(300);
    for (let i = 1; i < inA.length; i++) {
      const prev = inA[i - 1]!.content;
      const lastProse = prev.split('\n\n').filter((b) => !b.startsWith('```')).at(-1)!;
      const carried = inA[i]!.content.split('\n\n')[0]!;
      if (prev.endsWith('```')) continue; // code is never repeated
      expect(carried.length).toBeLessThanOrEqual(60);
      expect(carried).toMatch(/^Sentence number \d+ is here\./);
      expect(lastProse.endsWith(carried)).toBe(true);
    }
    // Every sentence is still there, and nothing crosses into section B.
    for (const s of sentences) expect(inA.some((c) => c.content.includes(s))).toBe(true);
    expect(chunks.find((c) => c.heading === 'B')!.content).toBe('Other section.');
    // Without overlap, the same document is cut with no repeats.
    const plain = chunkDocument(doc, { maxChars: 300, overlapChars: 0 });
    const text = plain.filter((c) => c.heading === 'A').map((c) => c.content).join('\n\n');
    for (const s of sentences) expect(text.split(s).length).toBe(2);
  });

  it('keeps a term, or a lead-in ending in a colon, with the block after it instead of ending a chunk with it', () => {
    const para = (n: number) => `Paragraph ${n} says something about the setting before it in plain words.`;
    const blocks = [para(1), para(2), 'work_mem (integer)', 'Sets the base maximum amount of memory used by a query operation.', para(3), 'Run the following:', '```sql\nSELECT 1;\n```', para(4), 'Last term'];
    const chunks = chunkDocument({ title: 't', sections: [{ heading: 'A', blocks }] }, { maxChars: 200, overlapChars: 0 });
    for (const c of chunks) {
      const last = c.content.split('\n\n').at(-1)!;
      if (c !== chunks.at(-1)) expect(last, c.content).not.toMatch(/^work_mem \(integer\)$|:$/);
    }
    expect(chunks.some((c) => c.content.includes('work_mem (integer)\n\nSets the base maximum'))).toBe(true);
    expect(chunks.some((c) => c.content.includes('Run the following:\n\n```sql'))).toBe(true);
    // Nothing is dropped: a term at the very end of a section stays in its last chunk.
    const all = chunks.map((c) => c.content).join('\n\n');
    for (const b of blocks) expect(all).toContain(b);
  });

  it('repeats a sentence tail at a word boundary when no sentence starts within the overlap', () => {
    expect(overlapTail('one two three four five six seven', 12)).toBe('six seven');
    expect(overlapTail('First part. Second part here.', 20)).toBe('Second part here.');
    expect(overlapTail('```\ncode\n```', 50)).toBe('');
  });
});
