/**
 * Answer-level scoring as ../shared/eval/README.md defines it: an answer states the fact
 * when it is not a refusal and at least one of the question's `facts` (JavaScript regular
 * expression sources) matches its text, case-insensitively, with the `[n]` citation markers
 * removed and runs of whitespace collapsed to one space. The Sources list is not part of
 * `Answer.text`, so it never counts.
 */
export function normaliseAnswerText(text: string): string {
  return text.replace(/\[\d+\]/g, '').replace(/\s+/g, ' ').trim();
}

export function compileFacts(facts: string[]): RegExp[] {
  return facts.map((f) => new RegExp(f, 'i'));
}

export function statesFact(answer: { text: string; refused: boolean }, facts: RegExp[]): boolean {
  if (answer.refused || !facts.length) return false;
  const text = normaliseAnswerText(answer.text);
  return facts.some((re) => re.test(text));
}
