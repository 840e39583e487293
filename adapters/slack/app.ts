import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { App, type AppOptions, type Authorize, type CustomRoute } from '@slack/bolt';
import type { StreamingOptions } from '../../src/assistant/draftPacer.ts';
import type { AnswerActions, Assistant } from '../../src/assistant/types.ts';
import { KbError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { healthHandler, type HealthProbe } from '../health.ts';
import { boltLogger } from './boltLogger.ts';
import type { ListenerDeps, SlackConfig } from './deps.ts';
import { registerListeners } from './listeners/index.ts';
import { FreshRequestReceiver, healthRoute } from './receiver.ts';
import { AnsweredThreads } from './threads.ts';

export type { SlackConfig } from './deps.ts';

export interface SlackAppDeps {
  assistant: Assistant;
  /** The core's answer records and hand-offs, for the buttons beyond 👍/👎. */
  actions?: AnswerActions;
  /** The `slack` part of Config, plus the HTTP port (and optionally the host to bind). */
  config: SlackConfig;
  logger: Logger;
  /** Replaces the single bot token (tests pass one that never calls auth.test). */
  authorize?: Authorize<boolean>;
  /** Merged over the defaults (slackApiUrl from config.apiUrl); tests shorten retryConfig here. */
  clientOptions?: AppOptions['clientOptions'];
  /** What `GET /healthz` reports on in HTTP mode (kb serve passes draining and the database); default always ok. */
  health?: HealthProbe;
  /** More HTTP routes served next to /slack/events in HTTP mode (/metrics, /admin). */
  routes?: CustomRoute[];
  /** Streamed answers (STREAM_UPDATE_MS); undefined: each answer appears when complete. */
  streaming?: StreamingOptions;
}

const alwaysHealthy: HealthProbe = { draining: () => false, pingDatabase: () => Promise.resolve() };

export interface SlackApp {
  app: App;
  /** 'http' with a signing secret (Events API over HTTPS); 'socket' with only an app token. */
  mode: 'http' | 'socket';
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The port the HTTP server is bound to once started (useful with port 0), else undefined. */
  port(): number | undefined;
}

/** The Web API base URL must end with '/', or method names are glued onto its last segment. */
function apiBase(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * Builds the Bolt app: HTTP mode (signing secret, `/slack/events`, `GET /healthz`, requests
 * from the future refused) or Socket Mode (app token and no signing secret). Listeners are
 * registered from listeners/{commands,events,actions}.
 */
export function createSlackApp(deps: SlackAppDeps): SlackApp {
  const { config } = deps;
  const mode = config.signingSecret ? 'http' : config.appToken ? 'socket' : undefined;
  if (!mode) {
    throw new KbError('config/invalid', 'SLACK_SIGNING_SECRET is missing: copy it from Basic Information → App Credentials (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  const logger = boltLogger(deps.logger);
  const clientOptions = { ...(config.apiUrl ? { slackApiUrl: apiBase(config.apiUrl) } : {}), ...deps.clientOptions };
  const auth = deps.authorize ? { authorize: deps.authorize } : { token: config.botToken };

  let receiver: FreshRequestReceiver | undefined;
  let app: App;
  if (mode === 'http') {
    receiver = new FreshRequestReceiver({ signingSecret: config.signingSecret as string, endpoints: '/slack/events', customRoutes: [healthRoute(healthHandler(deps.health ?? alwaysHealthy)), ...(deps.routes ?? [])], logger });
    app = new App({ ...auth, receiver, logger, clientOptions });
  } else {
    app = new App({ ...auth, socketMode: true, appToken: config.appToken, logger, clientOptions });
  }

  // Listeners show users their own short message and log the cause; this catches the rest.
  app.error(async (error) => {
    deps.logger.error({ err: error, code: error.code }, 'slack: unhandled error in a listener');
  });

  const listenerDeps: ListenerDeps = { assistant: deps.assistant, actions: deps.actions, config, logger: deps.logger, threads: new AnsweredThreads(), streaming: deps.streaming };
  registerListeners(app, listenerDeps);

  let server: Server | undefined;
  return {
    app,
    mode,
    async start() {
      if (mode === 'http') {
        server = (await app.start({ port: config.port, host: config.host })) as Server;
        deps.logger.info({ port: (server.address() as AddressInfo).port }, 'slack: listening for events on /slack/events');
      } else {
        await app.start();
        deps.logger.info('slack: connected in Socket Mode');
      }
    },
    async stop() {
      await app.stop();
      server = undefined;
    },
    port() {
      const address = server?.address();
      return address && typeof address === 'object' ? address.port : undefined;
    },
  };
}
