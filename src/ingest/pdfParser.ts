import type { ParsedDocument } from './types.ts';
import { layoutPdf, type PdfOutlineEntry, type PdfPageText, type PdfTextRun } from './pdfLayout.ts';

/** Why a PDF was not ingested: a one-line reason for the report ("no text layer", "encrypted…"). */
export class UnreadablePdf extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'UnreadablePdf';
  }
}

export interface ParsedPdf {
  doc: ParsedDocument;
  /** Pages that show images but carry no text (scanned pages), 1-based: reported, not ingested. */
  pagesWithoutText: number[];
}

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjs: Promise<PdfJs> | undefined;
/**
 * pdf.js is loaded the first time a PDF is read: it is large, and most commands never see
 * one. The legacy build runs on every supported Node.js without a canvas or a DOM; text
 * extraction needs neither.
 */
const loadPdfJs = () => (pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs'));

type PdfDocument = Awaited<ReturnType<PdfJs['getDocument']>['promise']>;

/** Outline entries, depth first, with the page (and top, for an XYZ destination) they point at. */
async function outlineEntries(pdf: PdfDocument): Promise<PdfOutlineEntry[]> {
  const out: PdfOutlineEntry[] = [];
  const visit = async (items: Awaited<ReturnType<PdfDocument['getOutline']>> | null) => {
    for (const item of items ?? []) {
      const entry: PdfOutlineEntry = { title: item.title };
      try {
        const dest = typeof item.dest === 'string' ? await pdf.getDestination(item.dest) : item.dest;
        if (Array.isArray(dest) && dest[0] && typeof dest[0] === 'object') {
          entry.page = (await pdf.getPageIndex(dest[0])) + 1;
          if ((dest[1] as { name?: string } | undefined)?.name === 'XYZ' && typeof dest[3] === 'number') entry.top = dest[3];
        } else if (Array.isArray(dest) && typeof dest[0] === 'number') entry.page = dest[0] + 1;
      } catch {
        // A destination that does not resolve leaves the entry without a page: it is not used.
      }
      out.push(entry);
      await visit(item.items);
    }
  };
  await visit(await pdf.getOutline());
  return out;
}

const IMAGE_OPS = (lib: PdfJs) =>
  new Set([lib.OPS.paintImageXObject, lib.OPS.paintInlineImageXObject, lib.OPS.paintImageMaskXObject, lib.OPS.paintImageXObjectRepeat, lib.OPS.paintImageMaskXObjectRepeat]);

/**
 * Reads a PDF's text layer with pdf.js: each page's text runs with their positions and
 * sizes, laid out into sections by layoutPdf (reading order, headings, a section per page).
 * Throws UnreadablePdf for an encrypted file (one that needs a password to open), a file
 * that is not a readable PDF, or one without any text (a scan with no OCR layer).
 */
export async function parsePdf(bytes: Uint8Array, fallbackTitle: string): Promise<ParsedPdf> {
  const lib = await loadPdfJs();
  // pdf.js may take ownership of the buffer it is given: it gets a copy.
  const task = lib.getDocument({ data: new Uint8Array(bytes), verbosity: 0, isEvalSupported: false, disableFontFace: true, useSystemFonts: false, stopAtErrors: false });
  let pdf: PdfDocument;
  try {
    pdf = await task.promise;
  } catch (err) {
    await task.destroy().catch(() => undefined);
    const name = (err as { name?: string } | null)?.name;
    if (name === 'PasswordException') throw new UnreadablePdf('encrypted (it needs a password to open)');
    const detail = err instanceof Error ? err.message.replace(/\.$/, '') : String(err);
    throw new UnreadablePdf(`not a readable PDF (${detail})`);
  }
  try {
    const pages: PdfPageText[] = [];
    const pagesWithoutText: number[] = [];
    const images = IMAGE_OPS(lib);
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      const runs: PdfTextRun[] = [];
      for (const item of content.items) {
        if (!('str' in item) || !item.str.trim()) continue;
        const [a, b, c, d, x, y] = item.transform as number[];
        runs.push({ text: item.str, x: x!, y: y!, size: Math.hypot(c!, d!) || Math.hypot(a!, b!) || item.height, width: item.width });
      }
      if (!runs.length) {
        const ops = await page.getOperatorList();
        if (ops.fnArray.some((f) => images.has(f))) pagesWithoutText.push(n);
      }
      const [left, , right] = page.view as number[];
      pages.push({ number: n, left: left!, right: right!, runs });
      page.cleanup();
    }
    if (!pages.some((p) => p.runs.length)) throw new UnreadablePdf('no text layer (a scan? run OCR on it first)');
    const info = (await pdf.getMetadata().catch(() => undefined))?.info as { Title?: unknown } | undefined;
    const metaTitle = typeof info?.Title === 'string' ? info.Title.replace(/^Microsoft Word - /, '') : undefined;
    return { doc: layoutPdf(pages, await outlineEntries(pdf).catch(() => []), metaTitle, fallbackTitle), pagesWithoutText };
  } catch (err) {
    if (err instanceof UnreadablePdf) throw err;
    throw new UnreadablePdf(`not a readable PDF (${err instanceof Error ? err.message.replace(/\.$/, '') : String(err)})`);
  } finally {
    await pdf.destroy();
  }
}
