// Regions are configuration: schemas/vocab/regions.json names each region and its member countries.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HubError } from '@hub/errors';
import { AVRO_DIR } from './registry';

export interface Region {
  id: string;
  labels: Record<string, string>;
  members: string[];
}

/** A region id is part of a Kafka topic name (hub.feed.<region>) and of URLs: lower-case words joined by hyphens. */
const REGION_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const COUNTRY = /^[A-Z]{2}$/;

/**
 * The regions of a regions file, checked: a file the feeds would misread (members that are no list, a member that is
 * no ISO country code) is refused at start-up, naming the field, the value and the rule, instead of publishing
 * records to the wrong feeds. A region with no members is allowed (one being set up): no record goes on its feed.
 */
export function loadRegions(file = join(AVRO_DIR, '..', 'vocab', 'regions.json')): Region[] {
  return parseRegions(JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
}

/** The regions of a parsed regions file (see loadRegions); `file` names it in errors. */
export function parseRegions(raw: unknown, file = 'regions.json'): Region[] {
  const refuse = (field: string, value: unknown, rule: string): never => {
    throw new HubError('INVALID_REGIONS', `${file}: ${field} ${JSON.stringify(value)}: ${rule}`, {
      details: { file, field, value, rule },
    });
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    refuse('(root)', raw, 'must be an object of regions by id');
  return Object.entries(raw as Record<string, unknown>).map(([id, r]) => {
    if (!REGION_ID.test(id)) refuse(id, id, 'a region id is lower-case letters and digits joined by hyphens');
    if (!r || typeof r !== 'object' || Array.isArray(r))
      refuse(id, r, 'must be an object with labels and members');
    const { labels, members } = r as { labels?: unknown; members?: unknown };
    if (
      !labels ||
      typeof labels !== 'object' ||
      Array.isArray(labels) ||
      Object.values(labels).some((l) => typeof l !== 'string')
    )
      refuse(`${id}.labels`, labels, 'must be an object of label texts by language');
    if (!Array.isArray(members))
      return refuse(`${id}.members`, members, 'must be a list of ISO country codes');
    members.forEach((m, i) => {
      if (typeof m !== 'string' || !COUNTRY.test(m))
        refuse(`${id}.members[${i}]`, m, 'must be an ISO 3166-1 alpha-2 country code (two capital letters)');
      if (members.indexOf(m) !== i) refuse(`${id}.members[${i}]`, m, 'a country is named once in a region');
    });
    return { id, labels: labels as Record<string, string>, members: members as string[] };
  });
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
