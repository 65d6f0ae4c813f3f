// Headless Chromium for the dashboard's browser tests: Debian's package, which `hub test` installs where missing.
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM } from '@hub/cli/stack/browser';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}
