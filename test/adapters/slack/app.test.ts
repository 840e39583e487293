import { describe, expect, it } from 'vitest';
import { createSlackApp, type SlackConfig } from '../../../adapters/slack/app.ts';
import { createLogger } from '../../../src/logger.ts';
import { FakeAssistant } from '../../support/fakeAssistant.ts';

const base: SlackConfig = { botToken: 'xoxb-test-token', command: '/ask', replyPrivately: false, channelScopes: {}, port: 0 };
const deps = (config: Partial<SlackConfig>) => ({ assistant: new FakeAssistant(), logger: createLogger({ level: 'silent' }), config: { ...base, ...config } });

describe('createSlackApp', () => {
  it('uses HTTP mode when a signing secret is set, even with an app token', () => {
    expect(createSlackApp(deps({ signingSecret: 'secret', appToken: 'xapp-1' })).mode).toBe('http');
  });

  it('uses Socket Mode with an app token and no signing secret', () => {
    const slack = createSlackApp(deps({ appToken: 'xapp-1-test' }));
    expect(slack.mode).toBe('socket');
    expect(slack.port()).toBeUndefined();
  });

  it('refuses to start without a signing secret or an app token, saying what to set', () => {
    expect(() => createSlackApp(deps({}))).toThrow(/SLACK_SIGNING_SECRET is missing/);
  });

  it('points the Web API client at SLACK_API_URL, adding the trailing slash', () => {
    const slack = createSlackApp(deps({ signingSecret: 'secret', apiUrl: 'http://127.0.0.1:9/api' }));
    expect(slack.app.client.slackApiUrl).toBe('http://127.0.0.1:9/api/');
  });
});
