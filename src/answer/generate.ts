import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import type { RetrievedChunk } from '../retrieval/hybridRetriever.ts';
import { neutraliseMarkers } from './citations.ts';
import { fill, loadPrompt } from './prompts.ts';

const answerPrompt = loadPrompt('answer');
export const answerPromptVersion = answerPrompt.version;

/** Document text inside a `<source>` block: no fake `<source>`/`</source>` tags, no `[n]` the model could copy as a citation. */
function sourceBody(text: string): string {
  return neutraliseMarkers(text.replace(/<\/?source[^>]*>/gi, ''));
}

/**
 * A title (or any heading put in a block's attributes) as an attribute value: one line, with no tag syntax and no quote
 * that could end the attribute, so it cannot open or close a block of its own.
 */
function attribute(text: string): string {
  return sourceBody(text).replace(/[<>]/g, ' ').replace(/"/g, "'").replace(/\s+/g, ' ').trim();
}

/** Context for the model: numbered, delimited, and labelled as untrusted data. */
export function formatContext(chunks: RetrievedChunk[]): string {
  return chunks
    .map((c, i) => {
      return `<source n="${i + 1}" title="${attribute(c.chunk.title)}" trust="untrusted-data">\n${sourceBody(c.chunk.content)}\n</source>`;
    })
    .join('\n');
}

function contentText(content: string | Array<{ type: string }>): string {
  return typeof content === 'string' ? content : content.map((p) => ('text' in p && typeof p.text === 'string' ? p.text : '')).join('');
}

/** A started stream is given up when no further piece arrives for this long (the client's timeout ends at the response's headers). */
export const DEFAULT_STREAM_IDLE_MS = 20_000;

/**
 * Asks the chat model for an answer grounded in the numbered chunks, citing `[n]`. With
 * `onText`, the answer is streamed (`model.stream()`) and `onText` gets the text so far after
 * each piece; a failure part-way through throws like any other, and so does a stream that,
 * once started, goes `idleMs` without a piece.
 */
export async function generateWithModel(model: BaseChatModel, question: string, chunks: RetrievedChunk[], onText?: (soFar: string) => void, idleMs = DEFAULT_STREAM_IDLE_MS): Promise<string> {
  const system = fill(answerPrompt.template, { context: formatContext(chunks) });
  const messages = [new SystemMessage(system), new HumanMessage(question)];
  if (!onText) return contentText((await model.invoke(messages)).content).trim();
  const stalled = new AbortController();
  const stall = () => stalled.abort(new Error(`the model sent nothing for ${idleMs} ms`));
  // Until the first piece, the client's own timeout and retries (with their backoff) apply.
  let timer: ReturnType<typeof setTimeout> | undefined;
  let text = '';
  try {
    for await (const chunk of await model.stream(messages, { signal: stalled.signal })) {
      clearTimeout(timer);
      timer = setTimeout(stall, idleMs);
      const piece = contentText(chunk.content);
      if (!piece) continue;
      text += piece;
      onText(text);
    }
  } finally {
    clearTimeout(timer);
  }
  // An aborted stream may end quietly: its text is not a whole answer.
  if (stalled.signal.aborted) throw stalled.signal.reason;
  return text.trim();
}
