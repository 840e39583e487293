import { loadPrompt } from './prompts.ts';

/**
 * A last line of defence against a model that was talked into printing its instructions
 * (prompt injection through a knowledge-base document): any answer sentence that repeats
 * a long stretch of a system prompt verbatim is dropped. Phrases the prompt asks the model
 * to say (quoted in it, like the "I don't know" sentence) are not counted as instructions,
 * and the sources themselves ({context}) are not part of the prompt text compared against.
 */
const normalise = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();

export interface EchoFilterResult {
  text: string;
  /** How many sentences were dropped. */
  dropped: number;
}

export function instructionEchoFilter(templates: string[], minChars = 40): (text: string) => EchoFilterResult {
  const shingles = new Set<string>();
  for (const template of templates) {
    for (const part of template.split(/\{\w+\}/)) {
      for (const piece of part.split(/"[^"\n]*"/)) {
        const n = normalise(piece);
        for (let i = 0; i + minChars <= n.length; i++) shingles.add(n.slice(i, i + minChars));
      }
    }
  }
  const leaks = (sentence: string) => {
    const n = normalise(sentence);
    for (let i = 0; i + minChars <= n.length; i++) if (shingles.has(n.slice(i, i + minChars))) return true;
    return false;
  };
  return (text) => {
    let dropped = 0;
    const lines = text.split('\n').map((line) => {
      const sentences = line.split(/(?<=[.!?:])\s+(?=\S)/);
      const kept = sentences.filter((s) => !leaks(s));
      dropped += sentences.length - kept.length;
      return kept.length === sentences.length ? line : kept.join(' ');
    });
    return dropped ? { text: lines.join('\n').replace(/\n{3,}/g, '\n\n').trim(), dropped } : { text, dropped };
  };
}

/** The filter for answers: the answer and condense-question prompts. */
export const dropInstructionEcho = instructionEchoFilter([loadPrompt('answer').template, loadPrompt('condense-question').template]);
