/**
 * The security headers every answer carries (helmet: a maintained set of them, rather than a list
 * kept by hand): nosniff, no referrer, never framed, HSTS, cross-origin isolation, and a content
 * security policy that allows nothing — right for JSON and problem+json. The console page and /docs
 * replace the policy with their own (narrower than a browser's default).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

const middleware = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"] } },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
});

/** Sets the headers on a response not yet sent. */
export function setSecurityHeaders(req: IncomingMessage, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => middleware(req, res, (err?: unknown) => (err ? reject(err as Error) : resolve())));
}
