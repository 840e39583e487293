import type { Logger } from '../../src/logger.ts';

/** Discord shows "is typing…" for about 10 seconds per request, so it is renewed until stopped. */
const TYPING_RENEW_MS = 8000;

interface Typable {
  id: string;
  sendTyping(): Promise<void>;
}

/** Starts the typing indicator; the returned function stops it. A failure here never fails the answer. */
export function startTyping(channel: Typable, logger: Logger): () => void {
  const send = () => {
    channel.sendTyping().catch((err: unknown) => logger.debug({ err, channel: channel.id }, 'discord: typing indicator failed'));
  };
  send();
  const timer = setInterval(send, TYPING_RENEW_MS);
  timer.unref();
  return () => clearInterval(timer);
}
