// The node's HTTP intake without a stack, for tests beyond intake.test.ts: the app over a real index and inbox in a
// directory of the test's own, and a submitter that signs nothing but keeps what it was given, and that a test may
// hold up (to send two bodies at once) or have fail (a certificate expired).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, type NodeClientToken } from '@hub/config';
import { createLogger, createMetricsRegistry, type Logger } from '@hub/observability';
import { createApp, type NodeAppDeps } from '../src/app';
import { InboundStore } from '../src/inbox-store';
import { ReportsIndex } from '../src/reports-index';
import { RequestsLog } from '../src/requests-log';

export const minimal = JSON.parse(
  readFileSync(join(repoRoot, 'docs', 'examples', 'minimal-report.json'), 'utf8'),
) as Record<string, unknown>;

/** KZ's route `routeId` (GREEN, one leg from TJ) as an agency posts it to /v1/routes. */
export const routeBody = (routeId: string) => ({
  routeId,
  name: 'Northern route',
  legs: [{ from: 'TJ', to: 'KZ' }],
  handling: { tlp: 'GREEN' },
});

/** An item's error as the node answers it. */
export interface FieldError {
  field: string;
  message: string;
  value?: unknown;
  suggestions?: string[];
}

export interface Answer {
  status: number;
  body: Record<string, unknown> & { errors?: FieldError[]; error?: { code: string; message: string } };
}

export interface Submission {
  type: string;
  key: string;
  value: Record<string, unknown>;
}

export interface IntakeApp {
  url: string;
  reports: ReportsIndex;
  /** What the coordinator sent the node (nothing, until a test adds it). */
  inbound: InboundStore;
  /** The node's folder: its index (reports.idx), the index's notes, its inbox file (inbound.jsonl). */
  dir: string;
  /** What reached the submitter and was taken, in the order each was taken. */
  submitted: Submission[];
  /** What reached the submitter, taken or not, in the order each arrived. */
  begun: Submission[];
  /**
   * Called with each submission as it arrives: resolve to take it (after a while, when a test holds it up), throw or
   * reject to refuse it. Takes it at once by default.
   */
  onSubmit: (s: Submission) => Promise<void> | void;
  /** POST `body` (JSON unless a string or bytes) with `headers`. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Answer>;
  close(): void;
}

/**
 * `clientTokens`: the agencies' tokens the node asks for (none: it asks for no token); `logger`: the node's (default:
 * silent); `deps`: any other of the app's collaborators, in place of the harness's (its submitter, say).
 */
export async function startIntakeApp(
  options: { clientTokens?: NodeClientToken[]; logger?: Logger; deps?: Partial<NodeAppDeps> } = {},
): Promise<IntakeApp> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-node-intake-'));
  const reports = new ReportsIndex(join(dir, 'reports.idx'));
  const inbound = new InboundStore(join(dir, 'inbound.jsonl'));
  const intake: Omit<IntakeApp, 'url' | 'post' | 'close'> = {
    reports,
    inbound,
    dir,
    submitted: [],
    begun: [],
    onSubmit: () => undefined,
  };
  const app = createApp({
    country: 'KZ',
    ...(options.clientTokens && { clientTokens: options.clientTokens }),
    submitter: {
      async submit(type, key, value) {
        const s = { type, key, value: value as Record<string, unknown> };
        intake.begun.push(s);
        await intake.onSubmit(s);
        intake.submitted.push(s);
        return { messageId: randomUUID() };
      },
    },
    reports,
    inbound,
    requests: new RequestsLog(join(dir, 'requests.jsonl')),
    regions: new Set(['central-asia']),
    metrics: createMetricsRegistry('national-node'),
    health: [],
    logger: options.logger ?? createLogger('test:intake', { level: 'silent' }),
    ...options.deps,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return Object.assign(intake, {
    url,
    async post(path: string, body: unknown, headers = { 'content-type': 'application/json' }) {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers,
        body:
          typeof body === 'string'
            ? body
            : body instanceof Uint8Array
              ? new Uint8Array(body) // as fetch types it: over an ArrayBuffer
              : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Answer['body'] };
    },
    close() {
      // Requests a failed test left held up too.
      server.closeAllConnections();
      server.close();
      reports.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** `logger`, its line `msg` failing to be written (a log stream gone: write EPIPE), its other lines written. */
export function failingToLog(logger: Logger, msg: string): Logger {
  const info = logger.info.bind(logger);
  logger.info = ((obj: unknown, line?: string) => {
    if (line === msg) throw new Error('write EPIPE');
    info(obj as object, line);
  }) as Logger['info'];
  return logger;
}

/** A logger (of `name`) that keeps each line it writes, parsed, for a test to read what the operator would find. */
export function recordingLogger(name: string): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(name, {
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines };
}

/** A promise and its resolve, to hold a submission up until the test lets it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
