// The agencies' systems authenticate to their national node with a bearer token (HUB_NODE_TOKEN_FILE), or a TLS
// client certificate from the hub CA (HUB_NODE_CLIENT_CERTIFICATES=require), when it asks for one: the node signs
// whatever it takes in as its country, and its API lists the requests addressed to it.
import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { NodeClientToken } from '@hub/config';
import { agencySystemOf, fingerprintOf, type TrustStore } from '@hub/pki';
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
 * Refuses a request whose TLS connection presented no certificate of an agency system of `country` from the hub CA,
 * or a revoked one (401 without a valid one, 403 with one not for this node), saying what to present; names the
 * client by the certificate's common name in `res.locals.client` (over a token's name, when both are asked for).
 */
export function requireClientCertificate(country: string, trust: TrustStore): RequestHandler {
  const refuse = (res: Response, status: number, code: string, message: string) =>
    res.status(status).json({ error: { code, message } });
  return (req, res, next) => {
    const socket = req.socket as TLSSocket;
    const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
    if (!peer?.raw) {
      refuse(
        res,
        401,
        'CLIENT_CERTIFICATE_MISSING',
        `this node takes only agency systems with a client certificate from the hub CA: present one ('hub pki issue-client ${country} <system>' issues it)`,
      );
      return;
    }
    if (!socket.authorized) {
      refuse(
        res,
        401,
        'CLIENT_CERTIFICATE_INVALID',
        `the client certificate is not valid here (${String(socket.authorizationError)}): present one the hub CA issued, within its validity`,
      );
      return;
    }
    const cert = new X509Certificate(peer.raw);
    const system = agencySystemOf(cert);
    if (!system || system.country !== country) {
      refuse(
        res,
        403,
        'CLIENT_CERTIFICATE_REFUSED',
        system
          ? `the certificate is for a system sending to ${system.country}'s node, not ${country}'s`
          : "the certificate is not an agency system's (OU=agency-system): a node's or a broker's certificate is not a client of this API",
      );
      return;
    }
    const revoked = trust.isRevoked(fingerprintOf(cert));
    if (revoked) {
      refuse(res, 403, 'CLIENT_CERTIFICATE_REVOKED', `the certificate was revoked: ${revoked.reason}`);
      return;
    }
    res.locals.client = system.system;
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
