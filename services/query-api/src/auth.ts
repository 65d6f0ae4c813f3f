// Bearer-token authentication: ES256 only, kid must be known (a followed ring is read again when due, see
// followKeyRing), issuer and audience checked, 30 s clock skew.
import type { NextFunction, Request, Response } from 'express';
import jwt from 'jsonwebtoken';
import { HubError } from '@hub/errors';
import {
  AUDIENCE,
  ISSUER,
  isCountryClaim,
  isSubjectClaim,
  ROLES,
  TLP_LEVELS,
  type Clearance,
  type KeyRing,
  type Role,
} from './issuer';

export interface Caller {
  sub: string;
  role: Role;
  country: string;
  clearance: Clearance;
  regions: string[];
  /** From a token: when it stops being accepted (its exp, plus the clock skew taken), ms since the epoch. */
  expiresAt?: number;
  /** From a token: the id of the key that signed it. */
  kid?: string;
}

/** Tokens are taken up to this long past their exp (and before their nbf), for clocks set a little apart. */
const CLOCK_SKEW_S = 30;

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

export function verifyToken(ring: KeyRing, token: string, now = Date.now()): Caller {
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || typeof decoded === 'string')
    throw new HubError('TOKEN_INVALID', 'the bearer token is not a JWT');
  if (decoded.header.alg !== 'ES256')
    throw new HubError('TOKEN_INVALID', `token algorithm ${decoded.header.alg} is not accepted (ES256 only)`);
  const kid = decoded.header.kid;
  ring.refresh?.();
  let key = kid ? ring.byKid.get(kid) : undefined;
  // A key added since the folder was last read (rotated in): read it again now, not in up to a minute.
  if (kid && !key) {
    ring.refresh?.(kid);
    key = ring.byKid.get(kid);
  }
  if (!key)
    throw new HubError(
      'TOKEN_INVALID',
      `unknown key id ${JSON.stringify(kid ?? null)}; fetch /.well-known/jwks.json`,
    );
  let claims: jwt.JwtPayload;
  try {
    claims = jwt.verify(token, key.publicKey, {
      algorithms: ['ES256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      clockTolerance: CLOCK_SKEW_S,
      clockTimestamp: Math.floor(now / 1000),
    }) as jwt.JwtPayload;
  } catch (err) {
    const e = err as Error;
    const code =
      e.name === 'TokenExpiredError'
        ? 'TOKEN_EXPIRED'
        : e.name === 'NotBeforeError'
          ? 'TOKEN_NOT_YET_VALID'
          : 'TOKEN_INVALID';
    throw new HubError(code, `the bearer token was refused: ${e.message}`);
  }
  const role = claims.role as Role;
  const clearance = claims.clearance as Clearance;
  if (!ROLES.includes(role))
    throw new HubError(
      'TOKEN_INVALID',
      `token role ${String(claims.role)} is not one of ${ROLES.join(', ')}`,
    );
  if (!isCountryClaim(claims.country))
    throw new HubError('TOKEN_INVALID', 'token has no ISO alpha-2 country claim');
  // Required, though jsonwebtoken takes a token without them: one without exp would never expire, one without a
  // subject would be nobody in the audit log and share one caller's limit with every other such token.
  if (typeof claims.exp !== 'number')
    throw new HubError('TOKEN_INVALID', 'token has no expiry (exp); get one with `npx hub token`');
  if (!isSubjectClaim(claims.sub))
    throw new HubError('TOKEN_INVALID', 'token has no subject (sub): the name of whom it was issued to');
  if (!TLP_LEVELS.includes(clearance))
    throw new HubError('TOKEN_INVALID', `token clearance ${String(claims.clearance)} is not a TLP 2.0 level`);
  return {
    sub: claims.sub,
    role,
    country: claims.country,
    clearance,
    regions: Array.isArray(claims.regions) ? claims.regions.map(String) : [],
    expiresAt: (claims.exp + CLOCK_SKEW_S) * 1000,
    kid,
  };
}

/**
 * Why a caller's token, accepted earlier, is no longer (expired, or its key removed from the ring since), for what
 * outlives one request (a feed stream); undefined while it still holds.
 */
export function tokenLapse(ring: KeyRing, caller: Caller, now = Date.now()): HubError | undefined {
  if (caller.expiresAt !== undefined && now >= caller.expiresAt)
    return new HubError(
      'TOKEN_EXPIRED',
      `the bearer token expired at ${new Date(caller.expiresAt - CLOCK_SKEW_S * 1000).toISOString()}; get a new one and reconnect`,
    );
  if (caller.kid === undefined) return undefined;
  ring.refresh?.();
  if (!ring.byKid.has(caller.kid))
    return new HubError(
      'TOKEN_INVALID',
      `the key ${JSON.stringify(caller.kid)} that signed the bearer token has been withdrawn; get a new token and reconnect`,
    );
  return undefined;
}

export function authenticate(ring: KeyRing) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m)
      return next(
        new HubError('TOKEN_MISSING', 'send Authorization: Bearer <JWT> (get one with `npx hub token`)'),
      );
    try {
      req.caller = verifyToken(ring, m[1] as string);
      next();
    } catch (err) {
      next(err);
    }
  };
}

export function requireRole(...roles: Role[]) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.caller || !roles.includes(req.caller.role)) {
      return next(
        new HubError(
          'FORBIDDEN',
          `this endpoint needs one of the roles ${roles.join(', ')}; your token has ${req.caller?.role ?? 'none'}`,
        ),
      );
    }
    next();
  };
}
