// Whether a stored record is the signed payload it came from, judged by the schema versions that could have stored it.
import type avro from 'avsc';
import { toPlain, stableJson } from './plain';
import type { SchemaRegistry, SchemaVersion } from './registry';

/** Resolvers from a writer's type to a reader's, by reader then writer (the registry caches only its newest). */
const resolvers = new WeakMap<avro.Type, WeakMap<avro.Type, avro.Resolver | null>>();

/**
 * What a stored record is against the signed payload it came from (compareWithSigned): `same`; `newer-release`, the
 * signed payload as the newest version this registry knows reads it, plus `fields` (paths such as `submittedBy` or
 * `drugs[].lab`) that no version it knows has, as a coordinator of a newer release stores them, at defaults this
 * registry cannot know (judged by upgrading the verifier); or `mismatch`, anything else.
 */
export type SignedComparison =
  { kind: 'same' } | { kind: 'newer-release'; fields: string[] } | { kind: 'mismatch' };

/**
 * Whether `stored` is what a coordinator stored for `signed`: the payload decoded with the writer's schema (the one
 * its fingerprint names) and resolved to the newest version that coordinator knew, which is the writer's own or any
 * later version of the same message in `registry`. A coordinator of an older release stored the record without the
 * fields a later version added, one of a newer release with them at that version's defaults (null, [] or a value):
 * both are the signed payload. Any other difference is not (a changed value, a field removed, a field the writer
 * lacks holding anything but the default the storing version fills). Throws the HubError of
 * `registry.decode` when the payload cannot be decoded at all (unknown fingerprint, malformed or oversized).
 */
export function sameAsSigned(
  registry: SchemaRegistry,
  signed: { schemaFingerprint: Buffer; payload: Buffer },
  stored: unknown,
): boolean {
  return compareWithSigned(registry, signed, stored).kind === 'same';
}

/**
 * sameAsSigned, telling apart a record stored by a coordinator of a release newer than `registry`'s (its version of
 * the message added fields this registry does not know, which the record holds at defaults only that version
 * knows): `newer-release`, neither the same nor a mismatch, until a verifier of that release judges it. Only fields
 * added are recognised so (the evolution rules add fields; one removed by a later version reads as a mismatch).
 * Throws as sameAsSigned.
 */
export function compareWithSigned(
  registry: SchemaRegistry,
  signed: { schemaFingerprint: Buffer; payload: Buffer },
  stored: unknown,
): SignedComparison {
  // Also checks the fingerprint, the size and the bounds of the payload, so the decodes below meet only sound bytes.
  const newest = registry.decode(signed.schemaFingerprint, signed.payload);
  const actual = stableJson(stored);
  if (stableJson(newest) === actual) return { kind: 'same' };
  const writer = registry.byFingerprint(signed.schemaFingerprint) as SchemaVersion;
  // A coordinator resolves only writer versions it ships with, so the one that stored this knew the writer's version
  // (the first of those sharing its fingerprint: versions that differ only in docs or defaults encode alike).
  const versions = registry.versions(writer.name);
  const first = Math.min(
    ...versions.filter((v) => v.fingerprint.equals(writer.fingerprint)).map((v) => v.version),
  );
  const storing = versions.filter((v) => v.version >= first);
  if (
    storing.some((reader) => {
      const read = readAs(reader, writer, signed.payload);
      return read !== undefined && stableJson(read) === actual;
    })
  )
    return { kind: 'same' };
  // A newer release's version has every field of the newest this registry knows (fields are added, not removed), at
  // the values that one reads: beyond them, only fields this registry does not know.
  const fields = fieldsBeyond(newest, stored, '');
  return fields?.length ? { kind: 'newer-release', fields: [...new Set(fields)] } : { kind: 'mismatch' };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);

/**
 * The fields `stored` holds beyond `read` (by path, an array's elements as `[]`) when it is otherwise `read`, value
 * for value; undefined when it differs in anything else. Every object is read as a record: the hub's schemas have no
 * maps (same-as-signed-newer-release.test.ts keeps it so), whose extra keys would be data, not fields.
 */
function fieldsBeyond(read: unknown, stored: unknown, path: string): string[] | undefined {
  if (Array.isArray(read)) {
    if (!Array.isArray(stored) || stored.length !== read.length) return undefined;
    const found: string[] = [];
    for (let i = 0; i < read.length; i++) {
      const inner = fieldsBeyond(read[i], stored[i], `${path}[]`);
      if (!inner) return undefined;
      found.push(...inner);
    }
    return found;
  }
  if (isRecord(read)) {
    if (!isRecord(stored)) return undefined;
    const found: string[] = [];
    for (const [key, value] of Object.entries(read)) {
      if (!(key in stored)) return undefined;
      const inner = fieldsBeyond(value, stored[key], path ? `${path}.${key}` : key);
      if (!inner) return undefined;
      found.push(...inner);
    }
    for (const key of Object.keys(stored)) if (!(key in read)) found.push(path ? `${path}.${key}` : key);
    return found;
  }
  return stableJson(read) === stableJson(stored) ? [] : undefined;
}

/** The payload of `writer` resolved to `reader`, as plain objects; undefined if `reader` cannot read `writer`. */
function readAs(reader: SchemaVersion, writer: SchemaVersion, payload: Buffer): unknown {
  let byWriter = resolvers.get(reader.type);
  if (!byWriter) resolvers.set(reader.type, (byWriter = new WeakMap()));
  let resolver = byWriter.get(writer.type);
  if (resolver === undefined) {
    try {
      resolver = reader.type.createResolver(writer.type);
    } catch {
      resolver = null;
    }
    byWriter.set(writer.type, resolver);
  }
  if (!resolver) return undefined;
  try {
    const { value, offset } = reader.type.decode(payload, 0, resolver);
    return offset === payload.length ? toPlain(value) : undefined;
  } catch {
    return undefined;
  }
}
