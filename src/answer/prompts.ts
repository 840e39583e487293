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

export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}
