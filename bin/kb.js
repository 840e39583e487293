#!/usr/bin/env node
// Entry point for `npx kb`: runs the TypeScript CLI through tsx's loader, so no build step is needed.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
const { adapterCommands } = await import('../adapters/cli.ts');
process.exitCode = await main(process.argv.slice(2), undefined, [adapterCommands]);
