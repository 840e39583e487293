import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Config } from '../config.ts';
import { KbError } from '../errors.ts';
import type { EmbeddingSpace } from '../store/vectorIndex.ts';
import { GLOVE_DIMENSION, loadGloveTable } from './gloveTable.ts';
import { LazyEmbeddings } from './lazyEmbeddings.ts';
import { LOCAL_SPACE, LocalEmbeddings } from './localEmbeddings.ts';

export interface EmbeddingsSetup {
  embeddings: EmbeddingsInterface;
  space: EmbeddingSpace;
  /** Behind a network API (requests can overlap) rather than computed in this process. */
  remote: boolean;
}

/** Local GloVe (default, offline) or OpenAI-compatible embeddings, with their dimension. */
export async function createEmbeddings(config: Config): Promise<EmbeddingsSetup> {
  if (config.embeddings.provider === 'local') {
    const embeddings = new LazyEmbeddings(async () => {
      const local = new LocalEmbeddings(await loadGloveTable(config.cacheDir));
      if (local.dimension !== LOCAL_SPACE.dimension) throw new KbError('embeddings/unavailable', `The word vectors in ${config.cacheDir} are not ${GLOVE_DIMENSION}-dimensional: delete the glove-sg-100d.*.bin file there to convert them again`);
      return local;
    });
    return { embeddings, space: { ...LOCAL_SPACE }, remote: false };
  }
  const { OpenAIEmbeddings } = await import('@langchain/openai');
  const embeddings = new OpenAIEmbeddings({
    model: config.embeddings.model,
    apiKey: config.openai.apiKey ?? 'not-needed',
    configuration: config.openai.baseUrl ? { baseURL: config.openai.baseUrl } : undefined,
    maxRetries: 2,
    timeout: 30000,
  });
  let dimension: number;
  try {
    dimension = (await embeddings.embedQuery('dimension probe')).length;
  } catch (err) {
    throw new KbError('embeddings/unavailable', `The embedding model ${config.embeddings.model} could not be reached: ${(err as Error).message}`, { cause: err });
  }
  return { embeddings, space: { model: `openai:${config.embeddings.model}`, dimension }, remote: true };
}
