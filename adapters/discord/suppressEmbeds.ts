import { DefaultRestOptions, MessageFlags, type RESTOptions } from 'discord.js';

type MakeRequest = RESTOptions['makeRequest'];
type Body = { flags?: number; type?: number; data?: Body; message?: Body } & Record<string, unknown>;

/** Interaction callbacks that carry a message: a reply (4) and a button's update of its message (7). */
const MESSAGE_CALLBACKS = new Set([4, 7]);

/**
 * Where a request's JSON body holds a message the bot sends or edits, or undefined: channel
 * messages (send, edit), webhook messages (interaction follow-ups and edits of the reply),
 * interaction replies and updates, and the first message of a forum post.
 */
function messageIn(method: string, path: string, body: Body): Body | undefined {
  if (/^\/channels\/\d+\/messages$/.test(path) && method === 'POST') return body;
  if (/^\/channels\/\d+\/messages\/\d+$/.test(path) && method === 'PATCH') return body;
  if (/^\/webhooks\/\d+\/[^/]+$/.test(path) && method === 'POST') return body;
  if (/^\/webhooks\/\d+\/[^/]+\/messages\/[^/]+$/.test(path) && method === 'PATCH') return body;
  if (/^\/interactions\/\d+\/[^/]+\/callback$/.test(path) && method === 'POST') return MESSAGE_CALLBACKS.has(body.type ?? -1) ? (body.data ??= {}) : undefined;
  if (/^\/channels\/\d+\/threads$/.test(path) && method === 'POST') return body.message;
  return undefined;
}

/** The JSON with SuppressEmbeds set on the message it holds, or undefined when it holds none. */
function suppressed(method: string, path: string, json: string): string | undefined {
  let body: Body;
  try {
    body = JSON.parse(json) as Body;
  } catch {
    return undefined;
  }
  const message = body && typeof body === 'object' ? messageIn(method, path, body) : undefined;
  if (!message) return undefined;
  message.flags = (message.flags ?? 0) | MessageFlags.SuppressEmbeds;
  return JSON.stringify(body);
}

/**
 * Every message the bot sends or edits on Discord carries SuppressEmbeds (1 << 2): no link in
 * it is previewed, so no URL in an answer is fetched by Discord's crawler when it posts.
 * discord.js has a client-wide default for allowed mentions but none for message flags, so
 * the flag is set on the REST requests themselves, where no code path (a reply, a follow-up,
 * an edit, a button's update) can leave it out. A deferred "thinking…" reply (callback 5)
 * carries no content, and Discord takes only Ephemeral there; the edit that fills it in
 * carries the flag.
 */
export function suppressingEmbeds(next: MakeRequest = DefaultRestOptions.makeRequest): MakeRequest {
  return (url, init) => {
    const method = (init.method ?? 'GET').toUpperCase();
    const path = new URL(url).pathname.replace(/^.*?\/v\d+(?=\/)/, '');
    if (typeof init.body === 'string') {
      const body = suppressed(method, path, init.body);
      if (body !== undefined) return next(url, { ...init, body });
    } else if (init.body instanceof FormData) {
      const payload = init.body.get('payload_json');
      const body = typeof payload === 'string' ? suppressed(method, path, payload) : undefined;
      if (body !== undefined) init.body.set('payload_json', body);
    }
    return next(url, init);
  };
}
