import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import type { RetrievedChunk } from '../retrieval/hybridRetriever.ts';
import { fill, loadPrompt } from './prompts.ts';

const answerPrompt = loadPrompt('answer');
export const answerPromptVersion = answerPrompt.version;

/** Context for the model: numbered, delimited, and labelled as untrusted data. */
export function formatContext(chunks: RetrievedChunk[]): string {
  return chunks
    .map((c, i) => {
      const body = c.chunk.content.replace(/<\/?source[^>]*>/gi, '');
      return `<source n="${i + 1}" title="${c.chunk.title.replace(/"/g, "'")}" trust="untrusted-data">\n${body}\n</source>`;
    })
    .join('\n');
}

/** Asks the chat model for an answer grounded in the numbered chunks, citing `[n]`. */
export async function generateWithModel(model: BaseChatModel, question: string, chunks: RetrievedChunk[]): Promise<string> {
  const system = fill(answerPrompt.template, { context: formatContext(chunks) });
  const res = await model.invoke([new SystemMessage(system), new HumanMessage(question)]);
  const text = typeof res.content === 'string' ? res.content : res.content.map((p) => ('text' in p && typeof p.text === 'string' ? p.text : '')).join('');
  return text.trim();
}
