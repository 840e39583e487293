import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { repoRoot } from './benchConfig.ts';

export interface FakeOpenAI {
  /** Base URL for OpenAIEmbeddings' `configuration.baseURL`. */
  baseUrl: string;
  stats(): Promise<{ requests: number; inputs: number }>;
  stop(): Promise<void>;
}

/** Starts bench/lib/fakeOpenAIServer.ts in a child process and waits for its port. */
export async function startFakeOpenAI(delayMs: number): Promise<FakeOpenAI> {
  const child: ChildProcess = spawn(process.execPath, [path.join(repoRoot, 'bin', 'tsx.js'), path.join(repoRoot, 'bench', 'lib', 'fakeOpenAIServer.ts'), String(delayMs)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fake OpenAI server exited (${code})`)));
    lines.once('line', (l) => resolve((JSON.parse(l) as { port: number }).port));
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    baseUrl: `${base}/v1`,
    async stats() {
      return (await (await fetch(`${base}/stats`)).json()) as { requests: number; inputs: number };
    },
    async stop() {
      lines.close();
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}
