/**
 * Splits answer text into Discord messages (≤2,000 characters each) without losing a
 * character: breaks go on paragraph, line, sentence or word boundaries, in that order of
 * preference. A fenced code block that has to be split is closed at the end of one
 * message and reopened (with its language) at the start of the next, so every message
 * renders on its own. Joining the messages after removing those added fences gives back
 * the original text.
 */
export const DISCORD_MESSAGE_LIMIT = 2000;

const CLOSE_FENCE = '```';
/** Prefer a break that fills at least this share of a message over a better-kinded one. */
const MIN_FILL = 0.5;

interface FenceMap {
  /** For each position, the fence to reopen with if a message started there (inside a code block). */
  openFenceAt: (pos: number) => string | null;
  /** True when a break at `pos` would cut a fence line (```lang) in two, or leave an empty block. */
  forbidden: (pos: number) => boolean;
}

function mapFences(text: string): FenceMap {
  // Code regions as [contentStart, contentEnd): positions inside which a break needs re-fencing.
  const regions: Array<{ start: number; end: number; fence: string }> = [];
  const fenceLines: Array<{ start: number; end: number }> = [];
  let open: { start: number; fence: string } | null = null;
  let lineStart = 0;
  while (lineStart < text.length) {
    const nl = text.indexOf('\n', lineStart);
    const lineEnd = nl === -1 ? text.length : nl + 1;
    const line = text.slice(lineStart, nl === -1 ? text.length : nl);
    const trimmed = line.replace(/^ {0,3}/, '');
    if (trimmed.startsWith('```')) {
      fenceLines.push({ start: lineStart, end: lineEnd });
      if (!open) {
        const lang = trimmed.slice(3).trim().split(/\s+/)[0] ?? '';
        open = { start: lineEnd, fence: `\`\`\`${lang.slice(0, 30)}` };
      } else if (/^`{3,}\s*$/.test(trimmed)) {
        regions.push({ start: open.start, end: lineStart, fence: open.fence });
        open = null;
      }
    }
    lineStart = lineEnd;
  }
  // An unclosed block runs to the end of the text (Discord renders it that way too).
  if (open) regions.push({ start: open.start, end: text.length, fence: open.fence });

  return {
    openFenceAt(pos) {
      for (const r of regions) if (pos > r.start && pos <= r.end && pos < text.length) return r.fence;
      return null;
    },
    forbidden(pos) {
      if (fenceLines.some((f) => pos > f.start && pos < f.end)) return true;
      // Right after an opening fence line: the message would end in an empty code block.
      return regions.some((r) => pos === r.start && r.start < r.end);
    },
  };
}

type BreakKind = 'paragraph' | 'line' | 'sentence' | 'word' | 'any';
const kindsByPreference: BreakKind[] = ['paragraph', 'line', 'sentence', 'word'];

function breakKind(text: string, pos: number, inCode: boolean): BreakKind {
  const prev = text[pos - 1] ?? '';
  const prev2 = text[pos - 2] ?? '';
  if (prev === '\n') return prev2 === '\n' && !inCode ? 'paragraph' : 'line';
  if (inCode) return /\s/.test(prev) ? 'word' : 'any';
  if (/\s/.test(prev) && /[.!?:;)]/.test(prev2)) return 'sentence';
  if (/\s/.test(prev)) return 'word';
  return 'any';
}

function isLowSurrogateAt(text: string, pos: number): boolean {
  const code = text.charCodeAt(pos);
  return code >= 0xdc00 && code <= 0xdfff;
}

export function splitMessage(text: string, limit = DISCORD_MESSAGE_LIMIT): string[] {
  if (text.length <= limit) return [text];
  const fences = mapFences(text);
  const chunks: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    const reopen = fences.openFenceAt(pos);
    const prefix = reopen ? `${reopen}\n` : '';
    const end = chooseEnd(text, pos, limit - prefix.length, fences);
    const closing = fences.openFenceAt(end);
    const suffix = closing ? `${text[end - 1] === '\n' ? '' : '\n'}${CLOSE_FENCE}` : '';
    chunks.push(prefix + text.slice(pos, end) + suffix);
    pos = end;
  }
  return chunks;
}

/** The end of the message that starts at `start`: the best-kinded break that fits, late enough. */
function chooseEnd(text: string, start: number, room: number, fences: FenceMap): number {
  const fits = (end: number) => {
    const closing = fences.openFenceAt(end);
    const suffixLength = closing ? CLOSE_FENCE.length + (text[end - 1] === '\n' ? 0 : 1) : 0;
    return end - start + suffixLength <= room;
  };
  if (text.length - start <= room) return text.length;

  const maxEnd = Math.min(text.length, start + room);
  const candidates: Array<{ end: number; kind: BreakKind }> = [];
  for (let end = maxEnd; end > start; end--) {
    if (fences.forbidden(end) || isLowSurrogateAt(text, end) || !fits(end)) continue;
    candidates.push({ end, kind: breakKind(text, end, fences.openFenceAt(end) !== null) });
  }
  const minEnd = start + Math.floor(room * MIN_FILL);
  for (const kind of kindsByPreference) {
    const found = candidates.find((c) => c.kind === kind && c.end >= minEnd);
    if (found) return found.end;
  }
  for (const kind of kindsByPreference) {
    const found = candidates.find((c) => c.kind === kind);
    if (found) return found.end;
  }
  // No allowed break at all (e.g. one enormous fence line): cut where it fits.
  return candidates[0]?.end ?? Math.max(start + 1, maxEnd - CLOSE_FENCE.length - 1);
}
