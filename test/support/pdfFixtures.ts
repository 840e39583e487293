import { deflateSync, crc32 } from 'node:zlib';
import { PDFDocument, PDFHexString, PDFName, StandardFonts, type PDFRef } from 'pdf-lib';

/** A line of text drawn at (x, y) in points from the bottom-left corner, at `size` points. */
export interface PdfLine {
  text: string;
  y: number;
  x?: number;
  size?: number;
}

export interface PdfPageSpec {
  /** Drawn in this order (a test can draw them out of reading order). */
  lines?: PdfLine[];
  /** A picture and no text: what a scanned page looks like. */
  image?: boolean;
}

/** A 2×2 grey PNG, written by hand (signature, IHDR, IDAT, IEND). */
export function tinyPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.from([0, 0, 0, 2, 0, 0, 0, 2, 8, 0, 0, 0, 0]); // 2×2, 8-bit greyscale
  const rows = Buffer.from([0, 128, 128, 0, 200, 200]); // each row: filter byte, two pixels
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * A PDF made with pdf-lib: pages of Helvetica lines (11 pt unless given) and images, an
 * optional document title and an optional outline (bookmarks to a page and height).
 */
export async function makePdf(pages: PdfPageSpec[], opts: { title?: string; outline?: { title: string; page: number; top: number }[]; width?: number } = {}): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const refs: PDFRef[] = [];
  for (const spec of pages) {
    const page = doc.addPage([opts.width ?? 600, 800]);
    refs.push(page.ref);
    for (const l of spec.lines ?? []) page.drawText(l.text, { x: l.x ?? 50, y: l.y, size: l.size ?? 11, font });
    if (spec.image) page.drawImage(await doc.embedPng(tinyPng()), { x: 50, y: 100, width: 500, height: 600 });
  }
  if (opts.title) doc.setTitle(opts.title);
  const outline = opts.outline ?? [];
  if (outline.length) {
    const root = doc.context.nextRef();
    const items = outline.map(() => doc.context.nextRef());
    outline.forEach((e, i) => {
      const entry: Record<string, unknown> = { Title: PDFHexString.fromText(e.title), Parent: root, Dest: [refs[e.page - 1]!, 'XYZ', null, e.top, null] };
      if (i > 0) entry.Prev = items[i - 1];
      if (i < items.length - 1) entry.Next = items[i + 1];
      doc.context.assign(items[i]!, doc.context.obj(entry as never));
    });
    doc.context.assign(root, doc.context.obj({ Type: 'Outlines', First: items[0]!, Last: items[items.length - 1]!, Count: items.length }));
    doc.catalog.set(PDFName.of('Outlines'), root);
  }
  return Buffer.from(await doc.save());
}

/**
 * A minimal PDF, written by hand, whose trailer has an /Encrypt dictionary (the standard
 * security handler) that no empty password opens: what a password-protected file looks
 * like to a reader (pdf-lib cannot encrypt).
 */
export function encryptedPdf(): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
    `<< /Filter /Standard /V 1 /R 2 /O <${'ab'.repeat(32)}> /U <${'cd'.repeat(32)}> /P -4 >>`,
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Encrypt 4 0 R /ID [<${'01'.repeat(16)}> <${'01'.repeat(16)}>] >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
