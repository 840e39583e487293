import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type App } from '../../src/app.ts';
import { configSecrets, loadConfig } from '../../src/config.ts';
import { KbError } from '../../src/errors.ts';
import { createLogger, registerSecrets } from '../../src/logger.ts';
import { dispatch } from '../http/routes.ts';
import { operatorRoutes } from './operatorRoutes.ts';

export interface AdminServer {
  app: App;
  port(): number;
  stop(): Promise<void>;
}

/** `kb admin`: the admin page and /metrics on PORT, without the chat adapters. */
export async function startAdminServer(env?: NodeJS.ProcessEnv): Promise<AdminServer> {
  const config = loadConfig(env);
  registerSecrets(configSecrets(config));
  if (!config.insights.adminToken) throw new KbError('config/invalid', 'kb admin needs ADMIN_TOKEN: set it to a long random string (e.g. `openssl rand -hex 32`) and log in with it.');
  const logger = createLogger({ level: config.logLevel ?? 'info' });
  const app = await createApp(config, logger);
  const routes = operatorRoutes(app);
  const server = http.createServer((req, res) => {
    if (!dispatch(routes, req, res)) res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, resolve);
    });
  } catch (err) {
    await app.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new KbError('config/invalid', `Port ${config.port} is already in use: set PORT to a free one.`, { cause: err });
    throw err;
  }
  app.recorder?.startRetention();
  return {
    app,
    port: () => (server.address() as AddressInfo).port,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await app.close();
    },
  };
}
