// The dashboard's browser tests drive Debian's Chromium (/usr/bin/chromium) through playwright-core. A fresh machine
// may not have it: `hub test` installs Debian's package with apt-get where it may (as root, or with sudo that asks
// for no password), and otherwise says what to install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

export function ensureChromium(log: (line: string) => void): void {
  if (existsSync(CHROMIUM)) return;
  const asRoot = process.getuid?.() === 0;
  if (!asRoot && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status !== 0) {
    log(
      `${CHROMIUM} is missing: the dashboard's browser tests need Debian's chromium (apt-get install chromium)`,
    );
    return;
  }
  log("installing Debian's chromium for the dashboard's browser tests (first run only, 1-2 minutes)");
  const apt = (...args: string[]) =>
    spawnSync(asRoot ? 'apt-get' : 'sudo', asRoot ? args : ['-n', 'apt-get', ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  if (!apt('update', '-qq') || !apt('install', '-y', '-qq', 'chromium') || !existsSync(CHROMIUM)) {
    log(
      `chromium could not be installed; the dashboard's browser tests will fail (apt-get install chromium)`,
    );
  }
}
