// The checks of docs/schema-evolution.md that resolution alone does not make (rules 1 and 5), as functions over a
// schema set, so that evolution.test.ts runs them on schemas/avro and shows each one catches a broken set.
import type avro from 'avsc';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stableJson } from '../src/plain';
import { loadSchemaRegistry, type SchemaRegistry } from '../src/registry';

/** The committed list of every published version's fingerprint and content hash (rule 1). */
export const FINGERPRINTS_FILE = join(import.meta.dirname, '..', 'fingerprints.json');

export interface FingerprintEntry {
  name: string;
  version: number;
  fingerprint: string;
  /** contentHashOf the version's file: what the fingerprint leaves out (defaults, docs, aliases) changes it too. */
  contentHash: string;
}

/**
 * The first 16 hex digits of the SHA-256 of a schema file's whole JSON as parsed, keys sorted (stableJson): neither
 * formatting nor key order changes it, every default, doc and alias does. The fingerprint leaves defaults out, yet a
 * reader fills a field the writer lacks, or an enum symbol it does not know, with them: a default edited in a
 * published version silently changes what older records read as.
 */
export function contentHashOf(schema: unknown): string {
  return createHash('sha256').update(stableJson(schema)).digest('hex').slice(0, 16);
}

/** The schema files of `dir` (as the registry names them, `<Name>.v<N>.avsc`) parsed, by "<Name> v<N>". */
function schemaFiles(dir: string): Map<string, unknown> {
  const files = new Map<string, unknown>();
  for (const file of readdirSync(dir)) {
    const m = /^([A-Za-z][A-Za-z0-9]*)\.v(\d+)\.avsc$/.exec(file);
    if (m) files.set(`${m[1]} v${Number(m[2])}`, JSON.parse(readFileSync(join(dir, file), 'utf8')));
  }
  return files;
}

interface EnumSeen {
  name: string;
  aliases: string[];
  symbols: string[];
  default?: string;
}

type Nested = avro.Type & {
  fields?: { type: avro.Type }[];
  itemsType?: avro.Type;
  valuesType?: avro.Type;
  types?: avro.Type[];
  symbols?: string[];
  default?: string;
};

/** Every enum `type` holds, wherever nested (records, arrays, maps, unions), by full name. */
export function enumsOf(type: avro.Type): Map<string, EnumSeen> {
  const found = new Map<string, EnumSeen>();
  const seen = new Set<avro.Type>();
  const visit = (t: Nested | undefined) => {
    if (!t || seen.has(t)) return;
    seen.add(t);
    if (t.typeName === 'enum' && t.name)
      found.set(t.name, {
        name: t.name,
        aliases: t.aliases ?? [],
        symbols: [...(t.symbols ?? [])],
        default: t.default,
      });
    for (const f of t.fields ?? []) visit(f.type as Nested);
    visit(t.itemsType as Nested | undefined);
    visit(t.valuesType as Nested | undefined);
    for (const b of t.types ?? []) visit(b as Nested);
  };
  visit(type as Nested);
  return found;
}

/**
 * Rule 5: for every message, every enum of version N (found in N+1 by its name or an alias) keeps its symbols, in
 * their order, at the start of N+1's. A reader meets an unknown symbol with the enum's default, so a renamed or
 * removed symbol resolves without error and silently turns old records' values into that default; resolution lets a
 * reordering through too.
 */
export function enumSymbolChanges(registry: SchemaRegistry): string[] {
  const problems: string[] = [];
  for (const name of registry.names()) {
    const versions = registry.versions(name);
    for (let i = 0; i + 1 < versions.length; i++) {
      const older = versions[i] as (typeof versions)[number];
      const newer = versions[i + 1] as (typeof versions)[number];
      const next = [...enumsOf(newer.type).values()];
      for (const before of enumsOf(older.type).values()) {
        // An enum gone with its field (removed with a default, rule 3) has nothing to keep.
        const after = next.find((e) => e.name === before.name || e.aliases.includes(before.name));
        if (!after) continue;
        const kept = before.symbols.every((s, k) => after.symbols[k] === s);
        if (kept) continue;
        const removed = before.symbols.filter((s) => !after.symbols.includes(s));
        problems.push(
          `${name} v${older.version} -> v${newer.version}: enum ${before.name} symbols ` +
            `[${before.symbols.join(', ')}] became [${after.symbols.join(', ')}]: symbols are only appended, ` +
            'never renamed, removed or reordered (docs/schema-evolution.md rule 5)' +
            (removed.length
              ? `; v${newer.version}'s reader would silently read ${removed.join(', ')} in older records as ` +
                `${after.default ?? 'an error'}`
              : '; here they were reordered'),
        );
      }
    }
  }
  return problems;
}

/** The fingerprints file read as entries, or why it cannot be. */
export function readFingerprints(file: string = FINGERPRINTS_FILE): FingerprintEntry[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return `${file} cannot be read as JSON: ${(err as Error).message}`;
  }
  if (!Array.isArray(parsed))
    return `${file} must be a JSON array of { name, version, fingerprint, contentHash }`;
  const hex16 = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{16}$/.test(v);
  const bad = parsed.findIndex(
    (e: Partial<FingerprintEntry> | null) =>
      !e ||
      typeof e.name !== 'string' ||
      !Number.isInteger(e.version) ||
      !hex16(e.fingerprint) ||
      !hex16(e.contentHash),
  );
  if (bad >= 0)
    return `${file}[${bad}] is ${JSON.stringify(parsed[bad])}: each entry must be { "name": string, "version": integer, "fingerprint": 16 lower-case hex digits, "contentHash": 16 lower-case hex digits }`;
  return parsed as FingerprintEntry[];
}

/**
 * Rule 1: every schema file in `dir` has the fingerprint and the content hash listed for its name and version, every
 * file is listed, and every listed version still has its file (its fingerprint is on the wire and in the archive).
 */
export function fingerprintDrift(
  dir: string,
  entries: FingerprintEntry[],
  listedIn = 'schemas/fingerprints.json',
): string[] {
  const registry: SchemaRegistry = loadSchemaRegistry(dir);
  const sources = schemaFiles(dir);
  const problems: string[] = [];
  const listed = new Map<string, FingerprintEntry>();
  for (const e of entries) {
    const key = `${e.name} v${e.version}`;
    if (listed.has(key)) problems.push(`${listedIn} lists ${key} twice: keep one entry per version`);
    listed.set(key, e);
  }
  const files = new Set<string>();
  for (const name of registry.names())
    for (const sv of registry.versions(name)) {
      const key = `${name} v${sv.version}`;
      const fingerprint = sv.fingerprint.toString('hex');
      const contentHash = contentHashOf(sources.get(key));
      const next = `${name}.v${registry.latest(name).version + 1}.avsc`;
      files.add(key);
      const entry = listed.get(key);
      if (!entry)
        problems.push(
          `${name}.v${sv.version}.avsc has no entry in ${listedIn}: add ` +
            `{ "name": "${name}", "version": ${sv.version}, "fingerprint": "${fingerprint}", ` +
            `"contentHash": "${contentHash}" } to it ` +
            `(from then on the version is published and never edited, docs/schema-evolution.md rule 1)`,
        );
      else if (entry.fingerprint !== fingerprint)
        problems.push(
          `${name}.v${sv.version}.avsc has fingerprint ${fingerprint}, but ${listedIn} lists ${entry.fingerprint}: ` +
            `a published version was edited in place, and envelopes written with it would no longer be read; ` +
            `restore it and make the change in ${next} (docs/schema-evolution.md rule 1)`,
        );
      else if (entry.contentHash !== contentHash)
        problems.push(
          `${name}.v${sv.version}.avsc has content hash ${contentHash}, but ${listedIn} lists ` +
            `${entry.contentHash}: a published version was edited in place (a default, a doc or an alias, which ` +
            `its fingerprint leaves out), and readers would fill a changed default into older records; ` +
            `restore it and make the change in ${next} (docs/schema-evolution.md rule 1)`,
        );
    }
  for (const [key, e] of listed)
    if (!files.has(key))
      problems.push(
        `${listedIn} lists ${key} (fingerprint ${e.fingerprint}) but ${e.name}.v${e.version}.avsc is missing: ` +
          `a published version is never removed, envelopes on the wire and in the archive name it ` +
          `(docs/schema-evolution.md rule 1)`,
      );
  return problems;
}
