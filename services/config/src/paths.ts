// Where the hub keeps things on disk: the repository root, HUB_HOME and the per-user download cache.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root folder (the one with the workspace package.json). */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The per-user cache for downloads and builds, outside any checkout so that fresh clones reuse it. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.HUB_CACHE_DIR) return resolve(env.HUB_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache');
  return join(base, 'seizure-hub');
}

export function defaultHubHome(env: NodeJS.ProcessEnv): string {
  return env.HUB_HOME ? resolve(env.HUB_HOME) : join(repoRoot, '.hub');
}

/** Where the Kafka principals' passwords are kept, one `<principal>.password` file each (0600). */
export function kafkaSecretsDir(hubHome: string): string {
  return join(hubHome, 'secrets', 'kafka');
}

/** The file of `principal`'s password in a folder of them (`kafkaSecretsDir`, or the production layout's). */
export function kafkaPasswordFile(dir: string, principal: string): string {
  return join(dir, `${principal}.password`);
}

export function fileIfExists(path: string): string | undefined {
  return existsSync(path) ? path : undefined;
}
