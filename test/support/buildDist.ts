import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * vitest globalSetup: bin/kb.js runs the compiled code in dist/, so the tests that start it
 * as a process compile the sources first (incremental: a no-op when nothing changed).
 */
export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..', '..');
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
}
