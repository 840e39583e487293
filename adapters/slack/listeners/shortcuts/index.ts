import type { App, MessageShortcut } from '@slack/bolt';
import type { ListenerDeps } from '../../deps.ts';
import { ASK_SHORTCUT, askAboutMessage } from './askAboutMessage.ts';

export function register(app: App, deps: ListenerDeps): void {
  app.shortcut<MessageShortcut>({ callback_id: ASK_SHORTCUT, type: 'message_action' }, (args) => askAboutMessage(deps, args));
}
