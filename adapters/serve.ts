import http from 'node:http';
import { configSecrets, loadConfig } from '../src/config.ts';
import { createApp } from '../src/app.ts';
import { KbError } from '../src/errors.ts';
import { createLogger, registerSecrets } from '../src/logger.ts';
import { createDiscordBot } from './discord/client.ts';
import { InFlightAssistant } from './inFlight.ts';
import { createSlackApp } from './slack/app.ts';

export interface Server {
  stop(reason?: string): Promise<void>;
  /** The HTTP port serving /healthz (and Slack events in HTTP mode). */
  port(): number | undefined;
}

const SHUTDOWN_GRACE_MS = 10_000;

/**
 * `kb serve`: the composition root for the chat adapters. Starts every configured
 * adapter over one core, serves /healthz, and on SIGTERM stops taking events, lets
 * answers in flight finish (up to 10 s), then closes pools and connections.
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
  const stops: Array<() => Promise<void>> = [];
  let healthServer: http.Server | undefined;
  let port: () => number | undefined = () => undefined;
  try {
    await app.ensureSampleKnowledgeBase();
    if (config.slack) {
      const slack = createSlackApp({ assistant, config: { ...config.slack, port: config.port }, logger });
      await slack.start();
      stops.push(() => slack.stop());
      if (slack.mode === 'http') port = () => slack.port();
      logger.info({ mode: slack.mode, port: slack.port() }, 'slack adapter started');
    }
    if (config.discord) {
      const discord = createDiscordBot({ assistant, config: config.discord, logger });
      await discord.start();
      stops.push(() => discord.stop());
      logger.info('discord adapter started');
    }
    if (port() === undefined) {
      healthServer = http.createServer((req, res) => {
        const ok = req.url === '/healthz' && !assistant.draining;
        res.writeHead(ok ? 200 : req.url === '/healthz' ? 503 : 404, { 'content-type': 'text/plain' }).end(ok ? 'ok' : req.url === '/healthz' ? 'draining' : 'not found');
      });
      await new Promise<void>((resolve) => healthServer!.listen(config.port, resolve));
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
        logger.info({ reason, inFlight: assistant.inFlight }, 'shutting down: no new events, finishing answers in flight');
        assistant.draining = true;
        const left = await assistant.drain(SHUTDOWN_GRACE_MS);
        if (left) logger.warn({ left }, 'answers still in flight after the grace period');
        await Promise.allSettled(stops.map((s) => s()));
        if (healthServer) await new Promise((r) => healthServer!.close(r));
        await app.close();
        logger.info('stopped');
      })();
      return stopping;
    },
  };
}
