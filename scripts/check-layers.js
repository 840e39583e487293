#!/usr/bin/env node
// The core never imports an adapter: fail if any file under src/ imports from adapters/.
import fs from 'node:fs';
import path from 'node:path';

const offenders = [];
for (const entry of fs.readdirSync('src', { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
  const file = path.join(entry.parentPath, entry.name);
  const text = fs.readFileSync(file, 'utf8');
  if (/from\s+['"][^'"]*\/adapters\//.test(text) || /import\(['"][^'"]*\/adapters\//.test(text)) offenders.push(file);
}
if (offenders.length) {
  console.error(`src/ must not import adapters/: ${offenders.join(', ')}`);
  process.exit(1);
}
