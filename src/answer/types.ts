/** What every adapter passes in and gets back. */
export interface Turn {
  question: string;
  answer: string;
}

export interface Citation {
  n: number;
  title: string;
  source: string;
  collection: string;
  heading: string;
  anchor?: string;
  /** Absolute link when the collection has a base URL; otherwise undefined. */
  url?: string;
  /** `source#anchor`, for display when there is no URL. */
  location: string;
  snippet: string;
  contentHash: string;
}

export interface Answer {
  text: string;
  citations: Citation[];
  confidence: number;
  refused: boolean;
  /** The question actually searched for (after follow-up rewriting). */
  standaloneQuestion: string;
  /** A short note about degraded service (e.g. the LLM was unavailable). */
  note?: string;
  cached?: boolean;
}

/** Receives the answer so far while a language model writes it (see AnswerService.compose). */
export type DraftListener = (textSoFar: string) => void;
