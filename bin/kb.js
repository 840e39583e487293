#!/usr/bin/env node
// Entry point for `npx kb`: runs the TypeScript CLI through tsx's loader, so no build step is needed.
import fs from 'node:fs';
import { register } from 'tsx/esm/api';

// Settings may live in ./.env (see .env.example); real environment variables win.
if (fs.existsSync('.env')) {
  const saved = { ...process.env };
  process.loadEnvFile('.env');
  Object.assign(process.env, saved);
}
register();
const { main } = await import('../src/cli/main.ts');
const { adapterCommands } = await import('../adapters/cli.ts');
process.exitCode = await main(process.argv.slice(2), undefined, [adapterCommands]);
