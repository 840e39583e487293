import fs from 'node:fs';
import path from 'node:path';
import { projectDir } from '../projectDir.ts';

const promptsDir = path.join(projectDir, 'prompts');

export interface Prompt {
  name: string;
  version: string;
  template: string;
}

/** Loads prompts/<name>.md; its `<!-- version: N -->` header becomes part of cache keys. */
export function loadPrompt(name: string): Prompt {
  const raw = fs.readFileSync(path.join(promptsDir, `${name}.md`), 'utf8');
  const m = /^<!--\s*version:\s*([\w.-]+)\s*-->\s*\n?/.exec(raw);
  return { name, version: m?.[1] ?? '0', template: m ? raw.slice(m[0].length) : raw };
}

/**
 * The template with each `{name}` replaced by its value, in one pass (a value's own braces,
 * e.g. a document quoting `{x}`, are left as they are). A placeholder with no value throws,
 * as LangChain's templates do, rather than reaching the model as literal text.
 */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_whole, key: string) => {
    const value = Object.hasOwn(values, key) ? values[key] : undefined;
    if (value === undefined) throw new Error(`Prompt placeholder {${key}} has no value (given: ${Object.keys(values).join(', ') || 'none'})`);
    return value;
  });
}
