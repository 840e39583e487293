#!/usr/bin/env node
// Entry point for `npx kb`: runs the compiled CLI in dist/ (`npm run build`; `npm install` and
// `npm ci` run it through the prepare script). Commands load their heavy parts when they run.
import fs from 'node:fs';

// Settings may live in ./.env (see .env.example); real environment variables win.
if (fs.existsSync('.env')) {
  const saved = { ...process.env };
  process.loadEnvFile('.env');
  Object.assign(process.env, saved);
}
const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!fs.existsSync(entry)) {
  process.stderr.write('kb: the compiled code is missing (dist/): run `npm run build` (npm install does it too)\n');
  process.exit(1);
}
const { main } = await import(entry.href);
const { adapterCommands } = await import('../dist/adapters/cli.js');
// The seed baseline (bench/seedRecipe.ts) is one more `kb eval --mode`, for comparison.
const { seedRecipe } = await import('../dist/bench/seedRecipe.js');
process.exitCode = await main(process.argv.slice(2), undefined, [adapterCommands], [seedRecipe]);
