import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeSlack } from './fakeSlack.ts';

/**
 * FakeSlack plus `auth.test`, for code that builds Bolt with a plain bot token (as
 * `kb serve` does) instead of an injected `authorize`: Bolt calls auth.test once to learn
 * the bot's ids. This front answers it and forwards every other call to the FakeSlack
 * unchanged, so the FakeSlack's recording, 429s and failures all still apply.
 */
export interface SlackWorkspace {
  fake: FakeSlack;
  /** The value for SLACK_API_URL. */
  apiUrl: string;
  /** auth.test calls answered (with the token each carried). */
  authTests: string[];
  close(): Promise<void>;
}

export const WORKSPACE_BOT = { userId: 'U0BOT', botId: 'B0BOT', teamId: 'T0TEAM' };

export async function startSlackWorkspace(): Promise<SlackWorkspace> {
  const fake = await new FakeSlack({ userId: WORKSPACE_BOT.userId, botId: WORKSPACE_BOT.botId }).start();
  const target = new URL(fake.apiUrl);
  const authTests: string[] = [];
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/api/auth.test')) {
      authTests.push((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, url: 'https://example.slack.test/', team: 'Test', user: 'kb', team_id: WORKSPACE_BOT.teamId, user_id: WORKSPACE_BOT.userId, bot_id: WORKSPACE_BOT.botId }));
      return;
    }
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      res.writeHead(502).end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    fake,
    apiUrl: `http://127.0.0.1:${port}/api/`,
    authTests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fake.close();
    },
  };
}
