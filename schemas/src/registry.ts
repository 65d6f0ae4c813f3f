// Every version of every message schema in schemas/avro, addressed by name, version or Rabin fingerprint.
import avro from 'avsc';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HubError, ValidationError, type FieldError } from '@hub/errors';
import { rabinFingerprint } from './rabin';
import { toPlain } from './plain';
import { checkBounded } from './bounded';

export const AVRO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'avro');
const FILE = /^([A-Za-z][A-Za-z0-9]*)\.v(\d+)\.avsc$/;
/** Payloads larger than this are refused before decoding (a bogus length prefix must not allocate gigabytes). */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

export interface SchemaVersion {
  name: string;
  version: number;
  type: avro.Type;
  /** CRC-64-AVRO of the Parsing Canonical Form, 8 bytes little-endian. */
  fingerprint: Buffer;
  canonical: string;
}

export interface SchemaRegistry {
  names(): string[];
  versions(name: string): SchemaVersion[];
  latest(name: string): SchemaVersion;
  get(name: string, version: number): SchemaVersion;
  byFingerprint(fingerprint: Buffer): SchemaVersion | undefined;
  /** Validate and encode with the latest version of `name`. */
  encode(name: string, value: unknown): { payload: Buffer; fingerprint: Buffer; version: number };
  /**
   * Decode bytes written with the schema of `fingerprint`, resolved to the latest version of `readerName`; payloads
   * larger than `maxBytes` (MAX_PAYLOAD_BYTES unless given: a message that carries another whole is larger) refused.
   */
  decode<T = Record<string, unknown>>(
    fingerprint: Buffer,
    payload: Buffer,
    readerName?: string,
    maxBytes?: number,
  ): T;
}

/** The Parsing Canonical Form of a type: avsc's schema() drops docs, defaults and aliases and expands names. */
export function canonicalForm(type: avro.Type): string {
  return JSON.stringify(type.schema());
}

export function loadSchemaRegistry(dir: string = AVRO_DIR): SchemaRegistry {
  const byName = new Map<string, SchemaVersion[]>();
  const byFp = new Map<string, SchemaVersion>();
  for (const file of readdirSync(dir).sort()) {
    const m = FILE.exec(file);
    if (!m) continue;
    const [, name, v] = m as unknown as [string, string, string];
    const type = avro.Type.forSchema(JSON.parse(readFileSync(join(dir, file), 'utf8')), { registry: {} });
    const canonical = canonicalForm(type);
    const sv: SchemaVersion = {
      name,
      version: Number(v),
      type,
      canonical,
      fingerprint: rabinFingerprint(canonical),
    };
    byName.set(
      name,
      [...(byName.get(name) ?? []), sv].sort((a, b) => a.version - b.version),
    );
    byFp.set(sv.fingerprint.toString('hex'), sv);
  }
  const resolvers = new Map<string, avro.Resolver>();

  const versions = (name: string): SchemaVersion[] => {
    const list = byName.get(name);
    if (!list) throw new HubError('UNKNOWN_MESSAGE_TYPE', `no schema named ${name} in ${dir}`);
    return list;
  };
  const latest = (name: string) => versions(name)[versions(name).length - 1] as SchemaVersion;

  return {
    names: () => [...byName.keys()],
    versions,
    latest,
    get(name, version) {
      const sv = versions(name).find((s) => s.version === version);
      if (!sv) throw new HubError('UNKNOWN_SCHEMA', `no version ${version} of schema ${name}`);
      return sv;
    },
    byFingerprint: (fp) => byFp.get(fp.toString('hex')),
    encode(name, value) {
      const sv = latest(name);
      const errors: FieldError[] = [];
      const ok = sv.type.isValid(value, {
        errorHook: (path: string[], val: unknown, t: avro.Type) => {
          errors.push({
            field: path.join('.') || '(record)',
            message: `must be of Avro type ${typeName(t)}`,
            value: typeof val === 'object' ? undefined : val,
          });
        },
      });
      if (!ok) throw new ValidationError(errors, `not a valid ${name}`);
      return { payload: sv.type.toBuffer(value), fingerprint: sv.fingerprint, version: sv.version };
    },
    decode<T>(fingerprint: Buffer, payload: Buffer, readerName?: string, maxBytes = MAX_PAYLOAD_BYTES): T {
      const writer = byFp.get(fingerprint.toString('hex'));
      if (!writer)
        throw new HubError(
          'UNKNOWN_SCHEMA',
          `no schema has fingerprint ${fingerprint.toString('hex')} among the versions this release reads: most ` +
            'likely written by a newer release, which this service reads once upgraded',
        );
      if (payload.length > maxBytes) {
        throw new HubError('MALFORMED_PAYLOAD', `payload of ${payload.length} bytes exceeds ${maxBytes}`);
      }
      const reader = latest(readerName ?? writer.name);
      const key = `${writer.fingerprint.toString('hex')}>${reader.fingerprint.toString('hex')}`;
      let resolver = resolvers.get(key);
      if (!resolver) {
        try {
          resolver = reader.type.createResolver(writer.type);
        } catch (cause) {
          throw new HubError(
            'UNKNOWN_SCHEMA',
            `${reader.name} v${reader.version} cannot read ${writer.name} v${writer.version}`,
            { cause },
          );
        }
        resolvers.set(key, resolver);
      }
      const bounded = checkBounded(writer.type, payload);
      if (!bounded.ok)
        throw new HubError(
          'MALFORMED_PAYLOAD',
          `payload is not a valid ${writer.name} v${writer.version}: ${bounded.reason}`,
        );
      try {
        const { value, offset } = reader.type.decode(payload, 0, resolver);
        if (offset !== payload.length)
          throw new Error(offset < 0 ? 'truncated' : `${payload.length - offset} trailing bytes`);
        return toPlain(value) as T;
      } catch (cause) {
        throw new HubError(
          'MALFORMED_PAYLOAD',
          `payload is not a valid ${writer.name} v${writer.version}: ${(cause as Error).message}`,
          { cause },
        );
      }
    },
  };
}

function typeName(t: avro.Type): string {
  return t.typeName + (t.name ? ` ${t.name}` : '');
}
