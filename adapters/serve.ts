import http from 'node:http';
import { configSecrets, loadConfig } from '../src/config.ts';
import { createApp } from '../src/app.ts';
import { KbError } from '../src/errors.ts';
import { createLogger, registerSecrets } from '../src/logger.ts';
import { InFlightAssistant } from './inFlight.ts';
import { healthHandler, type HealthProbe } from './health.ts';
import { operatorRoutes, watchConnections } from './admin/operatorRoutes.ts';
import { dispatch } from './http/routes.ts';

export interface Server {
  stop(reason?: string): Promise<void>;
  /** The HTTP port serving /healthz (and Slack events in HTTP mode). */
  port(): number | undefined;
}

/**
 * From SIGTERM to exit, whatever is still open: answers in flight get up to
 * SHUTDOWN_GRACE_MS - CLOSE_BUDGET_MS to finish, closing the connections and pools the rest.
 */
export const SHUTDOWN_GRACE_MS = 10_000;
const CLOSE_BUDGET_MS = 2_000;

/** A port already taken is a set-up mistake: one line naming it and the variable that sets it. */
function explainListenError(err: unknown, port: number): unknown {
  if ((err as NodeJS.ErrnoException | null)?.code !== 'EADDRINUSE') return err;
  return new KbError('config/invalid', `Port ${port} is already in use (PORT): stop the process listening on it, or set PORT to a free port.`, { cause: err });
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * `kb serve`: the composition root for the chat adapters. Starts every configured
 * adapter over one core, serves /healthz, and on SIGTERM stops taking events, lets
 * answers in flight finish, then closes pools and connections, all within 10 s.
 */
export async function serve(env?: NodeJS.ProcessEnv): Promise<Server> {
  const config = loadConfig(env);
  registerSecrets(configSecrets(config));
  const logger = createLogger({ level: config.logLevel ?? 'info' });
  if (!config.slack && !config.discord) {
    throw new KbError('config/invalid', 'Nothing to serve: set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN), and/or DISCORD_TOKEN. See .env.example.');
  }
  const app = await createApp(config, logger);
  const assistant = new InFlightAssistant(app.assistant);
  app.metrics.countInFlight(() => assistant.inFlight);
  app.recorder?.startRetention();
  // /metrics, and /admin when ADMIN_TOKEN is set, on the same port as /healthz and Slack events.
  const routes = operatorRoutes(app);
  const stops: Array<() => Promise<void>> = [];
  let healthServer: http.Server | undefined;
  let port: () => number | undefined = () => undefined;
  // One health check for every mode: 503 while draining or while PostgreSQL does not answer.
  const health: HealthProbe = { draining: () => assistant.draining, pingDatabase: () => app.db.query('SELECT 1') };
  // Streaming needs a model to stream from; extractive answers are always one message.
  const streaming = config.llm && config.streamUpdateMs > 0 ? { intervalMs: config.streamUpdateMs } : undefined;
  try {
    await app.ensureSampleKnowledgeBase();
    // Each platform's library (Bolt, discord.js) is loaded only when that adapter is configured.
    if (config.slack) {
      const { createSlackApp } = await import('./slack/app.ts');
      const slack = createSlackApp({ assistant, actions: app.actions, config: { ...config.slack, port: config.port }, logger, health, routes, streaming });
      await slack.start().catch((err: unknown) => {
        throw explainListenError(err, config.port);
      });
      app.metrics.setConnected('slack', true);
      stops.push(() => slack.stop().finally(() => app.metrics.setConnected('slack', false)));
      if (slack.mode === 'http') port = () => slack.port();
      logger.info({ mode: slack.mode, port: slack.port() }, 'slack adapter started');
    }
    if (config.discord) {
      const { createDiscordBot } = await import('./discord/client.ts');
      const discord = createDiscordBot({ assistant, actions: app.actions, config: config.discord, logger, streaming });
      watchConnections(discord.client, app.metrics);
      await discord.start();
      stops.push(() => discord.stop());
      logger.info('discord adapter started');
    }
    if (port() === undefined) {
      const answerHealth = healthHandler(health);
      healthServer = http.createServer((req, res) => {
        if (req.method === 'GET' && req.url === '/healthz') return answerHealth(req, res);
        if (dispatch(routes, req, res)) return;
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      });
      await listen(healthServer, config.port).catch((err: unknown) => {
        throw explainListenError(err, config.port);
      });
      const hs = healthServer;
      port = () => (hs.address() as { port: number } | null)?.port;
    }
  } catch (err) {
    await Promise.allSettled(stops.map((s) => s()));
    await app.close();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    port,
    stop(reason = 'stop requested') {
      stopping ??= (async () => {
        const deadline = Date.now() + SHUTDOWN_GRACE_MS;
        logger.info({ reason, inFlight: assistant.inFlight }, 'shutting down: no new events, finishing answers in flight');
        assistant.draining = true;
        const left = await assistant.drain(SHUTDOWN_GRACE_MS - CLOSE_BUDGET_MS);
        if (left) logger.warn({ left }, 'answers still in flight after the grace period');
        const closing = (async () => {
          await Promise.allSettled(stops.map((s) => s()));
          if (healthServer) {
            healthServer.closeAllConnections();
            await new Promise((r) => healthServer!.close(r));
          }
          await app.close();
        })();
        // A connection that will not close (an adapter's socket, a pool waiting on a query)
        // must not hold the shutdown past its window: the caller exits the process after this.
        let timer: NodeJS.Timeout | undefined;
        const closed = await Promise.race([closing.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), Math.max(0, deadline - Date.now())).unref()))]);
        clearTimeout(timer);
        if (closed) logger.info('stopped');
        else logger.warn('connections still closing at the end of the shutdown window');
      })();
      return stopping;
    },
  };
}
