// `node --import ./test/support/traceModules.mjs …` appends the URL of every ES module (and
// every package entry loaded through import) to the file named by KB_TRACE_MODULES.
import fs from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

export async function load(url, context, next) {
  fs.appendFileSync(process.env.KB_TRACE_MODULES, url + '\n');
  return next(url, context);
}

// Module hooks run on their own thread, which loads this file again: register only once.
if (isMainThread) register(import.meta.url);
