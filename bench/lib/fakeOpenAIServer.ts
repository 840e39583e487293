/**
 * An OpenAI-compatible /v1/embeddings endpoint on 127.0.0.1 that answers with the
 * project's local GloVe vectors after an artificial delay per request: a stand-in for a
 * remote embedding API. Run as its own process (see fakeOpenAI.ts) so its CPU work does
 * not share the event loop being measured. Prints `{"port": N}` on stdout when ready.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadGloveTable } from '../../src/embeddings/gloveTable.ts';
import { LocalEmbeddings } from '../../src/embeddings/localEmbeddings.ts';
import { cacheDir } from './benchConfig.ts';

const delayMs = Number(process.argv[2] ?? 50);
const embeddings = new LocalEmbeddings(await loadGloveTable(cacheDir));
const stats = { requests: 0, inputs: 0 };

async function readJson(req: IncomingMessage): Promise<{ input?: string | string[]; encoding_format?: string; model?: string }> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return JSON.parse(Buffer.concat(parts).toString('utf8') || '{}');
}

const server = createServer((req, res) => {
  void (async () => {
    if (req.method === 'GET' && req.url === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
      return;
    }
    if (req.method !== 'POST' || !req.url?.endsWith('/embeddings')) {
      res.writeHead(404).end();
      return;
    }
    const body = await readJson(req);
    const inputs = Array.isArray(body.input) ? body.input : [body.input ?? ''];
    stats.requests++;
    stats.inputs += inputs.length;
    const data = inputs.map((text, index) => {
      const v = embeddings.embedSync(String(text));
      const embedding = body.encoding_format === 'base64' ? Buffer.from(Float32Array.from(v).buffer).toString('base64') : v;
      return { object: 'embedding', index, embedding };
    });
    // The delay is added to the compute time, like a remote API's network and queueing.
    await new Promise((r) => setTimeout(r, delayMs));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data, model: body.model ?? 'fake', usage: { prompt_tokens: 0, total_tokens: 0 } }));
  })().catch((err: Error) => {
    res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: err.message } }));
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
