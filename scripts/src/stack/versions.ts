// Pinned versions of the local stack's servers (infra/local/versions.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';

export interface StackVersions {
  kafka: string;
  scala: string;
  ferretdb: string;
  ferretdbModule: string;
}

export function stackVersions(): StackVersions {
  return JSON.parse(readFileSync(join(repoRoot, 'infra', 'local', 'versions.json'), 'utf8')) as StackVersions;
}
