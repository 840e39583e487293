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

/**
 * Asks the chat model for an answer grounded in the numbered chunks, citing `[n]`. With
 * `onText`, the answer is streamed (`model.stream()`) and `onText` gets the text so far after
 * each piece; a failure part-way through throws like any other.
 */
export async function generateWithModel(model: BaseChatModel, question: string, chunks: RetrievedChunk[], onText?: (soFar: string) => void): Promise<string> {
  const system = fill(answerPrompt.template, { context: formatContext(chunks) });
  const messages = [new SystemMessage(system), new HumanMessage(question)];
  if (!onText) return contentText((await model.invoke(messages)).content).trim();
  let text = '';
  for await (const chunk of await model.stream(messages)) {
    const piece = contentText(chunk.content);
    if (!piece) continue;
    text += piece;
    onText(text);
  }
  return text.trim();
}
