// Passwords of the Kafka principals (generated at random on first use into $HUB_HOME/secrets/kafka, one file per
// principal) and the national nodes' tokens for the agencies' systems: readable by this user only, never committed
// (HUB_HOME is gitignored), never logged.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaPasswordFile, kafkaSecretsDir } from '@hub/config';

/** The file holding `principal`'s password (what HUB_KAFKA_PASSWORD_FILE names); created when missing. */
export function passwordFile(hubHome: string, principal: string): string {
  return ensurePasswordFile(kafkaSecretsDir(hubHome), principal);
}

/** `dir/<principal>.password` with a fresh random password unless it exists; the folder 0700, the file 0600. */
export function ensurePasswordFile(dir: string, principal: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9.-]{0,63}$/.test(principal))
    throw new Error(`not a principal name: ${JSON.stringify(principal)}`);
  return ensureSecretFile(dir, kafkaPasswordFile(dir, principal));
}

/** `dir/<CC>.tokens` with one fresh token for the agencies' systems of node CC (HUB_NODE_TOKEN_FILE), unless it exists. */
export function ensureClientTokenFile(dir: string, country: string): string {
  if (!/^[A-Z]{2}$/.test(country)) throw new Error(`not a country code: ${JSON.stringify(country)}`);
  return ensureSecretFile(dir, join(dir, `${country}.tokens`));
}

/** 192 random bits in base64url: no character that needs quoting in JAAS or kafka-configs' [k=v,...] syntax. */
export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

function ensureSecretFile(dir: string, file: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (!existsSync(file)) {
    try {
      writeFileSync(file, `${newSecret()}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process made it meanwhile
    }
  }
  chmodSync(file, 0o600);
  return file;
}

export function principalPassword(hubHome: string, principal: string): string {
  return readFileSync(passwordFile(hubHome, principal), 'utf8').trim();
}

/**
 * Replace a secret file whole: written beside it (0600), then renamed over it, so a reader finds the old content or
 * the new, never part of one.
 */
export function replaceSecretFile(path: string, data: string): void {
  const next = `${path}.${process.pid}.new`;
  writeSecretFile(next, data);
  renameSync(next, path);
}

/** Write a file with secrets in it, readable by this user only. */
export function writeSecretFile(path: string, data: string): void {
  writeFileSync(path, data, { mode: 0o600 });
  chmodSync(path, 0o600);
}
