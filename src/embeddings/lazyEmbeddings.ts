import { Embeddings, type EmbeddingsInterface } from '@langchain/core/embeddings';

/**
 * Embeddings created on first use: the local model's word vectors (40 MB) are read only by a
 * command that embeds something, not by an unchanged re-ingest, `kb feedback` or a server
 * that has not been asked anything yet. A failed load is tried again on the next call.
 */
export class LazyEmbeddings extends Embeddings {
  private loading?: Promise<EmbeddingsInterface>;

  constructor(private readonly load: () => Promise<EmbeddingsInterface>) {
    super({});
  }

  private target(): Promise<EmbeddingsInterface> {
    this.loading ??= this.load().catch((err: unknown) => {
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    if (!texts.length) return [];
    return (await this.target()).embedDocuments(texts);
  }

  async embedQuery(text: string): Promise<number[]> {
    return (await this.target()).embedQuery(text);
  }
}
