// The query API: express app built from its collaborators (tested through an ephemeral port).
import type { TopicNames } from '@hub/kafka';
import { randomUUID } from 'node:crypto';
import zlib from 'node:zlib';
import express, { type NextFunction, type Request, type Response } from 'express';
import { HubError, ValidationError, type FieldError } from '@hub/errors';
import {
  httpRequestMetrics,
  opsRouter,
  type HealthCheck,
  type Logger,
  type Registry,
} from '@hub/observability';
import type { Store } from '@hub/store';
import type { AuditLog } from './audit';
import { authenticate } from './auth';
import { callerLimit } from './caller-limit';
import { dashboardRouter } from './dashboard';
import { ERROR_STATUS } from './errors';
import { jwks, type KeyRing } from './issuer';
import { openApiDocument } from './openapi';
import { alertRoutes } from './routes-alerts';
import { quarantineRoutes } from './routes-quarantine';
import { exportRoutes } from './routes-export';
import { qualityRoutes } from './routes-quality';
import { auditRoutes } from './routes-audit';
import { readsRoutes } from './routes-reads';
import { seizureRoutes } from './routes-seizures';
import { statsRoutes } from './routes-stats';
import { requestRoutes } from './routes-requests';
import { storeErrorToHubError } from './store-limits';

export interface ApiDeps {
  store: Store;
  /** The hub's topic names (its namespace): which topic is which country's. */
  names: TopicNames;
  keys: KeyRing;
  audit: AuditLog;
  /** The hub CAs, as a PEM bundle (read at each look: a CA rollover adds one). */
  caPem: string | (() => string);
  metrics: Registry;
  health: HealthCheck[];
  logger: Logger;
  /** Extra routers (the feed stream) mounted after authentication. */
  extra?: express.Router[];
  /** The limit `store`'s reads carry (withReadTimeout), named in QUERY_TIMEOUT's message. */
  queryTimeoutMs?: number;
  /** Requests of one caller worked on at once (callerLimit); absent or 0: no limit. */
  concurrency?: number;
  /** Requests of all callers worked on at once, in turn among them (callerLimit); absent or 0: no limit. */
  totalConcurrency?: number;
}

export function createApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Whatever NODE_ENV says: express's own last-resort handler (an error it is handed after answerError) then answers
  // with the status alone, never with a stack trace (which names the files and folders it ran from).
  app.set('env', 'production');
  app.use(httpRequestMetrics(deps.metrics));
  app.use((req, res, next) => {
    const id = randomUUID();
    res.setHeader('x-request-id', id);
    (req as Request & { log?: Logger }).log = deps.logger.child({ requestId: id });
    next();
  });
  app.use(opsRouter(deps.metrics, deps.health));
  app.get('/.well-known/jwks.json', (_req, res) => res.json(jwks(deps.keys)));
  app.get('/openapi.json', (_req, res) => res.json(openApiDocument()));
  app.use(dashboardRouter());

  const v1 = express.Router();
  // Every /v1 answer, records (JSON, CSV, RED ones too) and errors alike: kept by no cache on the way or in the
  // browser, and never read as anything but its content type.
  v1.use('/v1', (_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    next();
  });
  v1.use('/v1', authenticate(deps.keys));
  // Who the token says the caller is, for every role: the dashboard's sign-in asks it. It reads and audits nothing.
  v1.get('/v1/session', (req, res) => {
    const c = req.caller!;
    res.json({
      sub: c.sub,
      role: c.role,
      country: c.country,
      clearance: c.clearance,
      regions: c.regions,
      expiresAt: c.expiresAt === undefined ? null : new Date(c.expiresAt).toISOString(),
    });
  });
  v1.use(
    '/v1',
    callerLimit({
      limit: deps.concurrency ?? 0,
      total: deps.totalConcurrency ?? 0,
      metrics: deps.metrics,
      logger: deps.logger,
      // A read stops at the query limit; give it a second more to be answered.
      ...(deps.queryTimeoutMs ? { abandonedHoldMs: deps.queryTimeoutMs + 1000 } : {}),
    }),
  );
  v1.use(seizureRoutes(deps));
  v1.use(statsRoutes(deps));
  v1.use(exportRoutes(deps));
  v1.use(readsRoutes(deps));
  v1.use(qualityRoutes(deps));
  v1.use(requestRoutes(deps));
  v1.use(alertRoutes(deps));
  v1.use(quarantineRoutes(deps));
  // The audit log, each entry as much of it as the caller's clearance shows (routes-audit.ts).
  v1.use(auditRoutes(deps));
  for (const r of deps.extra ?? []) v1.use(r);
  app.use(v1);

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such endpoint; see /openapi.json' } });
  });
  app.use(answerError(deps.logger, deps.queryTimeoutMs ?? 0));
  return app;
}

/**
 * The API's answer to an error: a request express could not read and a store error as the HubError the caller can act
 * on, a ValidationError as 400 with `errors` naming each field, another HubError with its status from ERROR_STATUS,
 * anything else as a 500 that names only the request's id (what went wrong is logged, never sent).
 */
export function answerError(logger: Logger, queryTimeoutMs: number) {
  return (thrown: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const unread = requestErrorToHubError(thrown);
    const err = unread ?? storeErrorToHubError(thrown, queryTimeoutMs);
    const log = (req as Request & { log?: Logger }).log ?? logger;
    if (!unread && err !== thrown)
      log.warn({ err: thrown, path: req.path, code: (err as HubError).code }, 'store read failed');
    if (err instanceof ValidationError) {
      answerJson(res, log, 400, { error: { code: err.code, message: err.message }, errors: err.errors });
      return;
    }
    if (err instanceof HubError) {
      const status = ERROR_STATUS[err.code]?.status ?? (err.retriable ? 503 : 400);
      answerJson(res, log, status, { error: { code: err.code, message: err.message } });
      return;
    }
    log.error({ err }, 'request failed');
    answerJson(res, log, 500, {
      error: { code: 'INTERNAL', message: 'internal error', requestId: res.getHeader('x-request-id') },
    });
  };
}

/** An error answer's body: its code and message, and for a ValidationError each field's. */
interface ErrorAnswer {
  error: { code: string; message: string; requestId?: unknown };
  errors?: FieldError[];
}

/**
 * `body` sent as JSON with `status`. A body that cannot be written as JSON (a value echoed that is nested too deeply
 * for JSON.stringify, which overflows the stack on it) is sent without the values it echoed; one that cannot be even
 * so, as a fixed one: the answer is JSON whatever went wrong.
 */
function answerJson(res: Response, log: Logger, status: number, body: ErrorAnswer): void {
  let text: string;
  try {
    text = JSON.stringify(body);
  } catch (err) {
    log.warn({ err: String(err), code: body.error.code }, 'error answer sent without the values it echoed');
    try {
      text = JSON.stringify({
        error: { code: String(body.error.code), message: String(body.error.message) },
        ...(body.errors && {
          errors: body.errors.map((e) => ({ field: String(e.field), message: String(e.message) })),
        }),
      });
    } catch {
      text = FIXED_ERROR;
    }
  }
  res.status(status).type('application/json').send(text);
}

/** The answer when not even an error's code and message can be written as JSON. */
const FIXED_ERROR = JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error' } });

/** The content-encodings a body may come in (body-parser's, zstd where this Node has it; identity: none). */
const ENCODINGS = ['gzip', 'deflate', 'br', ...('createZstdDecompress' in zlib ? ['zstd'] : []), 'identity'];

/** What the sender put in a header or path, shown back short. */
const shown = (v: unknown) => String(v ?? '').slice(0, 80);

/** One thing of the request to mend, as a 400 VALIDATION_FAILED naming it (as a body of another type is, params.ts). */
function unreadable(field: string, message: string, value: unknown, cause: unknown): ValidationError {
  const err = new ValidationError([{ field, message, value: shown(value) }], 'the request cannot be read');
  return Object.assign(err, { cause });
}

/**
 * A request express could not read (http-errors of express and body-parser: a path, a charset, an encoding, a body),
 * as the error the caller can act on. Any other error with a 4xx status is still the sender's to mend, never a 500.
 */
function requestErrorToHubError(thrown: unknown): HubError | undefined {
  const e = thrown as
    | (Error & { type?: string; status?: unknown; statusCode?: unknown; charset?: string; encoding?: string })
    | null;
  if (e?.type === 'entity.too.large')
    return new HubError('BODY_TOO_LARGE', 'the request body exceeds 64 kB; shorten the question', {
      cause: e,
    });
  const notObject = e?.type === 'entity.parse.failed' ? notAnObject(e) : undefined;
  if (notObject) return notObject;
  if (e?.type === 'entity.parse.failed')
    return new HubError('MALFORMED_JSON', `the body is not valid JSON: ${e.message ?? ''}`, { cause: e });
  if (e?.type === 'charset.unsupported')
    return unreadable(
      'content-type',
      `the request's body must be UTF-8 JSON: charset ${shown(e.charset)} is not supported; send content-type: application/json (charset=utf-8 or none)`,
      e.charset,
      e,
    );
  if (e?.type === 'encoding.unsupported')
    return unreadable(
      'content-encoding',
      `content-encoding ${shown(e.encoding)} is not supported: send ${ENCODINGS.slice(0, -1).join(', ')} or ${ENCODINGS.at(-1)}`,
      e.encoding,
      e,
    );
  const status = Number(e?.status ?? e?.statusCode);
  if (!(e instanceof Error) || e instanceof HubError || !(status >= 400 && status < 500)) return undefined;
  // express's router: a path parameter whose %-escapes are not UTF-8 ("Failed to decode param '%E0%A4%A'").
  if (e instanceof URIError)
    return unreadable(
      '(path)',
      `${e.message}: a %-escape in the path must be of UTF-8 bytes (as encodeURIComponent writes them)`,
      /'(.*)'$/.exec(e.message)?.[1] ?? '',
      e,
    );
  if (status === 413)
    return new HubError('BODY_TOO_LARGE', `the request is too large: ${e.message}`, { cause: e });
  // Any other of body-parser's (a body cut short, too many parameters): the sender's to mend. Other errors with a
  // 4xx status (a static file's range, say) stay what they are: not the sender's fault to be told of as such.
  if (typeof e.type === 'string' && /^(entity|request|parameters|stream)\./.test(e.type))
    return unreadable('(request)', `${e.message}; mend the request and send it again`, e.type, e);
  return undefined;
}

/**
 * A body express.json refused that is JSON all the same, but neither an object nor an array (null, "x", 3, true: it
 * reads only those), as the field error that says what a body must be (as the national node answers it); undefined
 * for a body that is not JSON.
 */
function notAnObject(e: Error & { body?: unknown }): ValidationError | undefined {
  if (typeof e.body !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(e.body);
  } catch {
    return undefined;
  }
  if (typeof value === 'object' && value !== null) return undefined;
  const got = value === null ? 'null' : `a ${typeof value}`;
  return Object.assign(
    new ValidationError([
      { field: '(body)', message: `must be a JSON object, got ${got}`, value: shown(e.body) },
    ]),
    { cause: e },
  );
}
