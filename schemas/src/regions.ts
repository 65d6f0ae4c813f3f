// Regions are configuration: schemas/vocab/regions.json names each region and its member countries.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AVRO_DIR } from './registry';

export interface Region {
  id: string;
  labels: Record<string, string>;
  members: string[];
}

export function loadRegions(file = join(AVRO_DIR, '..', 'vocab', 'regions.json')): Region[] {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<
    string,
    { labels: Record<string, string>; members: string[] }
  >;
  return Object.entries(raw).map(([id, r]) => ({ id, labels: r.labels, members: r.members }));
}

/** Countries named by a releasable-to list of ISO codes and region ids. */
export function expandReleasable(list: string[], regions: Region[]): string[] {
  const out = new Set<string>();
  for (const item of list) {
    const region = regions.find((r) => r.id === item);
    if (region) region.members.forEach((m) => out.add(m));
    else out.add(item);
  }
  return [...out].sort();
}
