import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'kb_admin';
const SESSION_HOURS = 12;

/** Constant-time string comparison (both sides hashed first, so lengths never differ). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** The cookie value for a login: derived from the token, so the token itself is never stored in the browser. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('kb-admin-session-v1').digest('base64url');
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** `Authorization: Bearer <token>` matches, or (with `cookieName`) the login cookie does. */
export function isAuthorized(req: IncomingMessage, token: string, cookieName?: string): boolean {
  const header = req.headers.authorization ?? '';
  if (header.startsWith('Bearer ')) return safeEqual(header.slice(7).trim(), token);
  const session = cookieName ? cookie(req, cookieName) : undefined;
  return session !== undefined && safeEqual(session, sessionValue(token));
}

/** HttpOnly, SameSite=Strict, limited to /admin; Secure when the request came over HTTPS. */
export function sessionCookie(token: string | undefined, req: IncomingMessage): string {
  const https = (req.socket as { encrypted?: boolean }).encrypted || req.headers['x-forwarded-proto'] === 'https';
  const value = token ? sessionValue(token) : '';
  const age = token ? SESSION_HOURS * 3600 : 0;
  return `${SESSION_COOKIE}=${value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${age}${https ? '; Secure' : ''}`;
}
