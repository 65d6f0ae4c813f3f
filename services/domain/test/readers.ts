// What the readers' unit tests share: the minimal report of CONTRACT.md, a node's context, a reader's refusal.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { ValidationError } from '@hub/errors';

export const minimal = JSON.parse(
  readFileSync(join(repoRoot, 'docs', 'examples', 'minimal-report.json'), 'utf8'),
) as Record<string, unknown>;
const now = Date.parse('2026-06-01T00:00:00Z');
export const ctx = { nodeCountry: 'KZ', now, versionOf: () => 1, regions: new Set<string>() };

/** The reader's refusal of `input`, as the fields it names with their messages ([] when it takes it). */
export function refusals(read: () => unknown): string[] {
  try {
    read();
    return [];
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return err.errors.map((e) => `${e.field}: ${e.message}`);
  }
}
