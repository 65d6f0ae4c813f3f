// Whether a stored record is the signed payload it came from, judged by the schema versions that could have stored it.
import type avro from 'avsc';
import { toPlain, stableJson } from './plain';
import type { SchemaRegistry, SchemaVersion } from './registry';

/** Resolvers from a writer's type to a reader's, by reader then writer (the registry caches only its newest). */
const resolvers = new WeakMap<avro.Type, WeakMap<avro.Type, avro.Resolver | null>>();

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
  // Also checks the fingerprint, the size and the bounds of the payload, so the decodes below meet only sound bytes.
  const newest = registry.decode(signed.schemaFingerprint, signed.payload);
  const actual = stableJson(stored);
  if (stableJson(newest) === actual) return true;
  const writer = registry.byFingerprint(signed.schemaFingerprint) as SchemaVersion;
  // A coordinator resolves only writer versions it ships with, so the one that stored this knew the writer's version
  // (the first of those sharing its fingerprint: versions that differ only in docs or defaults encode alike).
  const versions = registry.versions(writer.name);
  const first = Math.min(
    ...versions.filter((v) => v.fingerprint.equals(writer.fingerprint)).map((v) => v.version),
  );
  const storing = versions.filter((v) => v.version >= first);
  return storing.some((reader) => {
    const read = readAs(reader, writer, signed.payload);
    return read !== undefined && stableJson(read) === actual;
  });
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
