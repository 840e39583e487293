import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../../deps.ts';
import { appMention } from './appMention.ts';
import { message } from './message.ts';

export function register(app: App, deps: ListenerDeps): void {
  app.event('app_mention', (args) => appMention(deps, args));
  app.event('message', (args) => message(deps, args));
}
