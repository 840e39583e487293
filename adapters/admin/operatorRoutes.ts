import type { Client } from 'discord.js';
import type { App } from '../../src/app.ts';
import type { Metrics } from '../../src/insights/metrics.ts';
import type { HttpRoute } from '../http/routes.ts';
import { adminRoutes, metricsRoute } from './routes.ts';

/** /metrics always (behind METRICS_TOKEN when set); /admin only when ADMIN_TOKEN is set. */
export function operatorRoutes(app: App): HttpRoute[] {
  const { adminToken, metricsToken } = app.config.insights;
  return [metricsRoute(app.metrics, metricsToken, app.logger), ...(adminToken ? adminRoutes({ insights: app.insights, token: adminToken, logger: app.logger }) : [])];
}

/** Keeps kb_platform_connected{platform="discord"} in step with the gateway connection. */
export function watchConnections(client: Client, metrics: Metrics): void {
  metrics.setConnected('discord', false);
  // Event names as strings (discord.js' Events values), so kb serve loads discord.js only when Discord is configured.
  client.on('shardReady', () => metrics.setConnected('discord', true));
  client.on('shardResume', () => metrics.setConnected('discord', true));
  client.on('shardReconnecting', () => metrics.setConnected('discord', false));
  client.on('shardDisconnect', () => metrics.setConnected('discord', false));
}
