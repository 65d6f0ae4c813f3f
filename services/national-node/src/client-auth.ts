// The agencies' systems authenticate to their national node with a bearer token (HUB_NODE_TOKEN_FILE), when it
// asks for one: the node signs whatever it takes in as its country, and its API lists the requests addressed to it.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NodeClientToken } from '@hub/config';
import type { RequestHandler, Response } from 'express';

const digest = (token: string) => createHash('sha256').update(token).digest();

/**
 * Refuses a request without one of `tokens` (401, with what to send), before its body is read; names the client of
 * the token it carries in `res.locals.client`.
 */
export function requireClientToken(tokens: NodeClientToken[]): RequestHandler {
  const accepted = tokens.map((t) => ({ client: t.client, digest: digest(t.token) }));
  return (req, res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) {
      res
        .status(401)
        .setHeader('www-authenticate', 'Bearer')
        .json({
          error: {
            code: 'TOKEN_MISSING',
            message: "this node asks for the agency's token: send Authorization: Bearer <token>",
          },
        });
      return;
    }
    // Compared digest to digest, each in constant time, so that neither a token's length nor its first different
    // character shows in the time taken.
    const given = digest(match[1] as string);
    const found = accepted.find((a) => timingSafeEqual(a.digest, given));
    if (!found) {
      res
        .status(401)
        .setHeader('www-authenticate', 'Bearer error="invalid_token"')
        .json({ error: { code: 'TOKEN_INVALID', message: 'the token is not one this node accepts' } });
      return;
    }
    res.locals.client = found.client;
    next();
  };
}

/**
 * The client name of the token a request carried (requireClientToken), signed with what it sends as submittedBy;
 * undefined when the node asks for no token.
 */
export function clientOf(res: Response): string | undefined {
  return typeof res.locals.client === 'string' ? res.locals.client : undefined;
}
