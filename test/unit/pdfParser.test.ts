import { describe, expect, it } from 'vitest';
import { parsePdf } from '../../src/ingest/pdfParser.ts';
import { encryptedPdf, makePdf } from '../support/pdfFixtures.ts';

describe('parsePdf', () => {
  it('reads text in reading order, takes headings from font sizes and starts a section on every page', async () => {
    const pdf = await makePdf([
      {
        // Drawn bottom line first: reading order comes from the positions, not the drawing order.
        lines: [
          { text: 'the second line follows it.', y: 665 },
          { text: 'Vacuum Runbook', y: 740, size: 22 },
          { text: 'Freezing', y: 705, size: 15 },
          { text: 'Transaction IDs wrap around, so', y: 680 },
        ],
      },
      { lines: [{ text: 'The freezing advice continues here.', y: 740 }, { text: 'Autovacuum tuning', y: 700, size: 15 }, { text: 'Lower the scale factor on big tables.', y: 680 }] },
    ]);
    const { doc, pagesWithoutText } = await parsePdf(pdf, 'runbook');
    expect(doc.title).toBe('Vacuum Runbook');
    expect(doc.sections).toEqual([
      { heading: 'Freezing', anchor: 'page=1', blocks: ['Transaction IDs wrap around, so the second line follows it.'] },
      { heading: 'Freezing', anchor: 'page=2', blocks: ['The freezing advice continues here.'] },
      { heading: 'Autovacuum tuning', anchor: 'page=2', blocks: ['Lower the scale factor on big tables.'] },
    ]);
    expect(pagesWithoutText).toEqual([]);
  });

  it('takes headings from the outline when the PDF has one, and the title from its metadata', async () => {
    const pdf = await makePdf(
      [
        { lines: [{ text: 'Checkpoints', y: 720 }, { text: 'A checkpoint flushes dirty buffers.', y: 700 }, { text: 'Spread them with the completion target.', y: 670 }] },
        { lines: [{ text: 'Archive each finished segment.', y: 700 }] },
      ],
      { title: 'WAL Guide', outline: [{ title: 'Checkpoints', page: 1, top: 730 }, { title: 'WAL archiving', page: 2, top: 720 }] },
    );
    const { doc } = await parsePdf(pdf, 'wal');
    expect(doc.title).toBe('WAL Guide');
    expect(doc.sections).toEqual([
      { heading: 'Checkpoints', anchor: 'page=1', blocks: ['A checkpoint flushes dirty buffers.', 'Spread them with the completion target.'] },
      { heading: 'WAL archiving', anchor: 'page=2', blocks: ['Archive each finished segment.'] },
    ]);
  });

  it('reads a two-column page left column first, below a title spanning both', async () => {
    const pdf = await makePdf([
      {
        lines: [
          { text: 'Replication slots keep WAL on the primary until every consumer has it', y: 760 },
          { text: 'left one', y: 700 },
          { text: 'right one', y: 700, x: 330 },
          { text: 'left two', y: 686 },
          { text: 'right two', y: 686, x: 330 },
        ],
      },
    ]);
    const { doc } = await parsePdf(pdf, 'slots');
    expect(doc.sections.flatMap((s) => s.blocks)).toEqual(['Replication slots keep WAL on the primary until every consumer has it', 'left one left two', 'right one right two']);
  });

  it('joins a word hyphenated at the end of a line without a space', async () => {
    const pdf = await makePdf([{ lines: [{ text: 'Every change goes to the write-', y: 700 }, { text: 'ahead log before the data files.', y: 686 }] }]);
    const { doc } = await parsePdf(pdf, 'wal');
    expect(doc.sections[0]!.blocks).toEqual(['Every change goes to the write-ahead log before the data files.']);
  });

  it('lists a page that shows an image but has no text layer', async () => {
    const pdf = await makePdf([{ lines: [{ text: 'Page one has text.', y: 700 }] }, { image: true }, { lines: [{ text: 'Page three has text.', y: 700 }] }, {}]);
    const { doc, pagesWithoutText } = await parsePdf(pdf, 'mixed');
    expect(pagesWithoutText).toEqual([2]);
    expect(doc.sections.map((s) => s.anchor)).toEqual(['page=1', 'page=3']);
  });

  it('refuses a PDF with no text at all, an encrypted PDF and a file that is not a PDF, each with its reason', async () => {
    await expect(parsePdf(await makePdf([{ image: true }, { image: true }]), 'scan')).rejects.toThrow('no text layer (a scan? run OCR on it first)');
    await expect(parsePdf(encryptedPdf(), 'locked')).rejects.toThrow('encrypted (it needs a password to open)');
    await expect(parsePdf(Buffer.from('this is not a PDF at all'), 'junk')).rejects.toThrow('not a readable PDF (Invalid PDF structure)');
  });
});
