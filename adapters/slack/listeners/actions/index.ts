import type { App, BlockButtonAction } from '@slack/bolt';
import type { ListenerDeps } from '../../deps.ts';
import { FEEDBACK_DOWN, FEEDBACK_UP, HANDOFF_ACTION, SHARE_ACTION, WHY_ACTION } from '../../render.ts';
import { feedbackAction } from './feedback.ts';
import { handoffAction, RESOLVE_ACTION, resolveAction } from './handoff.ts';
import { shareAction } from './share.ts';
import { whyAction } from './why.ts';

export function register(app: App, deps: ListenerDeps): void {
  for (const actionId of [FEEDBACK_UP, FEEDBACK_DOWN]) {
    app.action<BlockButtonAction>({ type: 'block_actions', action_id: actionId }, (args) => feedbackAction(deps, args));
  }
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: SHARE_ACTION }, (args) => shareAction(deps, args));
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: WHY_ACTION }, (args) => whyAction(deps, args));
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: HANDOFF_ACTION }, (args) => handoffAction(deps, args));
  app.action<BlockButtonAction>({ type: 'block_actions', action_id: RESOLVE_ACTION }, (args) => resolveAction(deps, args));
}
