import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../deps.ts';
import { register as registerActions } from './actions/index.ts';
import { register as registerAssistant } from './assistant/index.ts';
import { register as registerCommands } from './commands/index.ts';
import { register as registerEvents } from './events/index.ts';
import { register as registerShortcuts } from './shortcuts/index.ts';

export function registerListeners(app: App, deps: ListenerDeps): void {
  // First: the assistant pane's messages stop here, so the DM listener does not answer them too.
  registerAssistant(app, deps);
  registerCommands(app, deps);
  registerEvents(app, deps);
  registerActions(app, deps);
  registerShortcuts(app, deps);
}
