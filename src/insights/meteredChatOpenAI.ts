import { ChatOpenAI } from '@langchain/openai';
import { countAttempts, countStreamAttempts } from './llmMetering.ts';

/**
 * ChatOpenAI whose calls let the metered fetch tell LangChain's retries (made inside one
 * `_generate`, or one streamed answer) from first requests. Loaded only when a model is configured.
 */
export class MeteredChatOpenAI extends ChatOpenAI {
  override _generate(...args: Parameters<ChatOpenAI['_generate']>): ReturnType<ChatOpenAI['_generate']> {
    return countAttempts(() => super._generate(...args));
  }

  override _streamResponseChunks(...args: Parameters<ChatOpenAI['_streamResponseChunks']>): ReturnType<ChatOpenAI['_streamResponseChunks']> {
    return countStreamAttempts(super._streamResponseChunks(...args));
  }
}
