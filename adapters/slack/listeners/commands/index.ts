import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../../deps.ts';
import { askCommand } from './ask.ts';

export function register(app: App, deps: ListenerDeps): void {
  app.command(deps.config.command, (args) => askCommand(deps, args));
}
