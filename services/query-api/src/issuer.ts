// The local token issuer: ES256 signing keys in $HUB_HOME/auth, one file per kid, the newest signs.
// Older keys keep verifying until removed, which is how keys rotate without logging everyone out. The query API
// follows the folder (followKeyRing): a key removed stops verifying within a minute, without a restart.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { resolveCountry } from '@hub/domain';
import { HubError } from '@hub/errors';

export const ISSUER = 'seizure-hub';
export const AUDIENCE = 'seizure-hub-api';
export const ROLES = ['analyst', 'coordinator', 'auditor', 'node-operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const TLP_LEVELS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'] as const;
export type Clearance = (typeof TLP_LEVELS)[number];

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  createdAt: number;
}

export interface KeyRing {
  current: SigningKey;
  byKid: Map<string, SigningKey>;
  /**
   * Of a ring that follows its folder (followKeyRing): read the folder again if it is due, or, for a token naming a
   * key not held (`unknownKid`), if it was not read a moment ago. Absent from a ring read once.
   */
  refresh?(unknownKid?: string): void;
}

/** Load every key in `dir`; create the first one when there is none. `rotate` adds a new current key. */
export function loadKeyRing(dir: string, options: { rotate?: boolean } = {}): KeyRing {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = readdirSync(dir).filter((f) => /^jwt-[a-z0-9]+\.key$/.test(f));
  if (files.length === 0 || options.rotate) {
    const kid = `${new Date().toISOString().slice(0, 10).replace(/-/g, '')}${randomBytes(4).toString('hex')}`;
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const path = join(dir, `jwt-${kid}.key`);
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    chmodSync(path, 0o600);
    files.push(`jwt-${kid}.key`);
  }
  const keys = files.map((f) => {
    const privateKey = createPrivateKey(readFileSync(join(dir, f), 'utf8'));
    return {
      kid: f.slice(4, -4),
      privateKey,
      publicKey: createPublicKey(privateKey),
      createdAt: statSync(join(dir, f)).mtimeMs,
    };
  });
  keys.sort((a, b) => a.createdAt - b.createdAt || a.kid.localeCompare(b.kid));
  return { current: keys[keys.length - 1] as SigningKey, byKid: new Map(keys.map((k) => [k.kid, k])) };
}

/** How often a followed ring reads its folder again, and how soon again for a token naming a key it does not hold. */
export const KEYS_REREAD_MS = 60_000;
export const UNKNOWN_KID_REREAD_MS = 5_000;

/**
 * The keys of `dir` as they are on disk, read again when asked for (a token verified, the key set served) at most
 * every `everyMs`, or every `unknownKidEveryMs` for a token naming a key not held: a removed key stops verifying
 * within `everyMs`, a new one verifies once a token names it (at most `unknownKidEveryMs` after the last read), and
 * tokens naming made-up keys cannot make every request read the disk. Each read is loadKeyRing's, as at a restart
 * (an emptied folder gets a new key). A folder that cannot be read whole (a key file half written, or one that is
 * no key) leaves the keys held, less those whose files are gone, and is told to `onError`.
 */
export function followKeyRing(
  dir: string,
  options: {
    clock?: () => number;
    everyMs?: number;
    unknownKidEveryMs?: number;
    onError?: (err: unknown) => void;
  } = {},
): KeyRing {
  const clock = options.clock ?? Date.now;
  const everyMs = options.everyMs ?? KEYS_REREAD_MS;
  const unknownKidEveryMs = options.unknownKidEveryMs ?? UNKNOWN_KID_REREAD_MS;
  let ring = loadKeyRing(dir);
  let readAt = clock();
  return {
    get current() {
      return ring.current;
    },
    get byKid() {
      return ring.byKid;
    },
    refresh(unknownKid) {
      const now = clock();
      const since = now - readAt;
      // A clock set back reads again too, rather than not for as long as it went back.
      if (since >= 0 && since < (unknownKid === undefined ? everyMs : unknownKidEveryMs)) return;
      readAt = now;
      try {
        ring = loadKeyRing(dir);
      } catch (err) {
        const held = [...ring.byKid].filter(([kid]) => existsSync(join(dir, `jwt-${kid}.key`)));
        ring = { current: ring.current, byKid: new Map(held) };
        options.onError?.(err);
      }
    },
  };
}

/** What a token's country claim must be, minted or read: an ISO 3166-1 alpha-2 code, in capitals. */
export const isCountryClaim = (c: unknown): c is string => typeof c === 'string' && resolveCountry(c) === c;
/** What a token's subject must be, minted or read: the name of whom it is for, 1 to 200 characters. */
export const isSubjectClaim = (s: unknown): s is string =>
  typeof s === 'string' && s.trim() !== '' && s.length <= 200;

export interface TokenRequest {
  sub: string;
  role: Role;
  country: string;
  clearance: Clearance;
  regions?: string[];
  ttlSeconds: number;
}

export function mintToken(ring: KeyRing, req: TokenRequest): string {
  if (!ROLES.includes(req.role)) throw new HubError('USAGE', `role must be one of ${ROLES.join(', ')}`);
  if (!isCountryClaim(req.country))
    throw new HubError('USAGE', `country must be an ISO alpha-2 code like KZ, got ${req.country}`);
  if (!isSubjectClaim(req.sub))
    throw new HubError('USAGE', 'sub must name whom the token is for (1 to 200 characters)');
  if (!TLP_LEVELS.includes(req.clearance))
    throw new HubError('USAGE', `clearance must be one of ${TLP_LEVELS.join(', ')}`);
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign(
    {
      role: req.role,
      country: req.country,
      clearance: req.clearance,
      ...(req.regions ? { regions: req.regions } : {}),
      iat: now,
      exp: now + req.ttlSeconds,
    },
    ring.current.privateKey,
    { algorithm: 'ES256', keyid: ring.current.kid, issuer: ISSUER, audience: AUDIENCE, subject: req.sub },
  );
}

/** The public keys as a JSON Web Key Set. */
export function jwks(ring: KeyRing): { keys: Record<string, unknown>[] } {
  ring.refresh?.();
  return {
    keys: [...ring.byKid.values()].map((k) => ({
      ...(k.publicKey.export({ format: 'jwk' }) as Record<string, unknown>),
      kid: k.kid,
      alg: 'ES256',
      use: 'sig',
    })),
  };
}

export function authDir(hubHome: string): string {
  return join(hubHome, 'auth');
}

export function hasKeys(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.key'));
}
