import fs from 'node:fs';
import path from 'node:path';

/**
 * The folder holding package.json, migrations/, prompts/ and kb/sample/. Found by walking up
 * from this file, so it is the same whether the code runs from src/ (tests, tsx) or compiled
 * from dist/src/ (bin/kb.js).
 */
function findProjectDir(): string {
  for (let dir = import.meta.dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${import.meta.dirname}`);
  }
}

export const projectDir = findProjectDir();
