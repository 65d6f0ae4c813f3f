#!/usr/bin/env node
// Entry of the `hub` operator CLI: registers tsx in this very process and runs the TypeScript CLI (no build step,
// no child process: a signal sent to `hub`, SIGKILL included, reaches the service itself).
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/cli/main.ts', import.meta.url).href);
