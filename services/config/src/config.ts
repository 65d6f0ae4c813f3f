// The one place that reads the environment. Everything else receives a typed HubConfig.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { resolveCountry } from '@hub/domain/vocab/countries';
import { HubError } from '@hub/errors';
import { defaultCacheDir, defaultHubHome, kafkaPasswordFile, kafkaSecretsDir } from './paths';

export interface StackPorts {
  kafka: number;
  kafkaController: number;
  /** The secured broker's INTERNAL listener (TLS with a broker certificate), for Kafka's own tools. */
  kafkaInternal: number;
  mongo: number;
}

/** SASL/SCRAM over TLS to the brokers (HUB_KAFKA_SECURITY=sasl_ssl); absent: plaintext, as the local stack. */
export interface KafkaSecurity {
  protocol: 'sasl_ssl';
  mechanism: 'scram-sha-512';
  /** The Kafka principal: `node-<CC>`, `coordinator`, `query-api` (each `<ns>.`-prefixed under HUB_NAMESPACE) or `hub-admin`. */
  username: string;
  /** The password as read at start. */
  password: string;
  /**
   * Where it was read from (HUB_KAFKA_PASSWORD_FILE, or the secured local stack's file): read again at each new
   * connection to a broker, so a rotated password is taken without a restart.
   */
  passwordFile?: string;
  /** PEM of the CA that issued the brokers' certificates: the hub CA unless HUB_KAFKA_CA_FILE names another. */
  caPem: string;
}

export interface HubConfig {
  hubHome: string;
  cacheDir: string;
  /** Prefix for topics, consumer groups and the database, so that several hubs (or test runs) share servers. */
  namespace: string;
  kafka: {
    brokers: string[];
    fromLocalStack: boolean;
    replicationFactor: number;
    clientId: string;
    security?: KafkaSecurity;
  };
  mongo: { url: string; dbName: string; fromLocalStack: boolean };
  apiPort: number;
  /** First port of the demo national nodes started by `npm start`; node i listens on nodeBasePort + i. */
  nodeBasePort: number;
  stackPorts: StackPorts;
  /** HUB_LOG_LEVEL (default info): one of pino's levels. */
  logLevel: LogLevel;
  /** Whether HUB_LOG_LEVEL was set (not blank): the operator's CLI verbs log less than services (warn) unless it is. */
  logLevelSet?: boolean;
  /** Countries whose national nodes `npm start` runs. */
  demoCountries: string[];
  /** HUB_MATCH_SECRET: hex key of the correlation hashes; unset: generated once into $HUB_HOME/secrets. */
  matchSecretHex?: string;
  /** A national node forwards what it receives to this URL (HUB_NODE_WEBHOOK_URL), signed with HUB_NODE_WEBHOOK_SECRET. */
  nodeWebhook?: { url: string; secret?: string };
  /** Retention review (HUB_RETENTION_*): days kept by category, days of warning ahead, minutes between reviews. */
  retention: { seizureDays: number; annualDays: number; warnDays: number; checkMinutes: number };
  /**
   * HUB_SIGNATURE_BATCH (default on): sign the envelopes made together with one RSA-PSS signature over a Merkle
   * tree (RSA-PSS-SHA256-BATCH, ADR 006). Off for peers that verify only RSA-PSS-SHA256.
   */
  signatureBatch: boolean;
  /**
   * HUB_QUERY_TIMEOUT_S (default 120; 0: none): the longest the store may spend on one read of a query API request
   * (sent as maxTimeMS); a read that takes longer is stopped and answered 504 QUERY_TIMEOUT.
   */
  queryTimeoutMs: number;
  /**
   * HUB_QUERY_CONCURRENCY (default 8; 0: none): the requests of one caller (token subject) the query API works on at
   * once; four times as many more wait their turn, and any beyond are answered 429 TOO_MANY_REQUESTS.
   */
  queryConcurrency: number;
  /**
   * HUB_QUERY_TOTAL_CONCURRENCY (default 32; 0: none): the requests of all callers the query API works on at once,
   * handed out in turn among the callers waiting; four times as many more wait, and any beyond are answered 503
   * QUERY_API_BUSY.
   */
  queryTotalConcurrency: number;
  /**
   * HUB_NODE_HOST: the interface a national node process listens on. Loopback by default: the node signs whatever
   * it is sent as its country, so only the agencies' systems may reach it (set 0.0.0.0 behind the agency's network
   * controls, with HUB_NODE_TOKEN_FILE).
   */
  nodeHost: string;
  /**
   * HUB_NODE_TOKEN_FILE: the bearer tokens a national node accepts from the agencies' systems on its /v1 API, one per
   * line (several while one is replaced), each named or not; absent: the node asks for none (loopback only, as the
   * local stack).
   */
  nodeClientTokens?: NodeClientToken[];
  /**
   * HUB_NODE_TLS_CERT_FILE and HUB_NODE_TLS_KEY_FILE: a national node serves its API over HTTPS with this
   * certificate (`hub pki issue-server`), read again when the files change; absent: plain HTTP (loopback, as the
   * local stack).
   */
  nodeTls?: { certPem: string; keyPem: string; certFile: string; keyFile: string };
  /**
   * HUB_NODE_CLIENT_CERTIFICATES=require (with TLS): the node's /v1 API takes only agency systems presenting a
   * certificate from the hub CA issued for this country (`hub pki issue-client`), not revoked; its common name is
   * the system's name, signed with its reports as submittedBy. Default off.
   */
  nodeClientCertificates: boolean;
}

/** pino's levels, as HUB_LOG_LEVEL takes them. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One token of HUB_NODE_TOKEN_FILE: a line `<token>` or `<client> <token>` (the name the node logs its requests by). */
export interface NodeClientToken {
  client: string;
  token: string;
}

/** Contents of `$HUB_HOME/run/stack.json`, written by `hub stack up`. */
export interface LocalStackInfo {
  kafka: {
    brokers: string[];
    version: string;
    pid?: number;
    /** `hub stack up --secure`: the broker security profile (SASL_SSL listener, ACLs); absent: plaintext. */
    security?: 'sasl_ssl';
    /** The secured broker's INTERNAL listener. */
    internal?: string[];
  };
  mongo: { url: string; version: string; pid?: number; kind: 'ferretdb' | 'mongod' | 'external' };
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new HubError(
      'CONFIG_INVALID',
      `${name}=${raw} is not a valid port/number (expected an integer 1-65535)`,
    );
  }
  return n;
}

export function readLocalStackInfo(hubHome: string): LocalStackInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(hubHome, 'run', 'stack.json'), 'utf8')) as LocalStackInfo;
  } catch {
    return undefined;
  }
}

export interface LoadOptions {
  /**
   * The Kafka principal of the service loading it, without the namespace (`coordinator`, `query-api`, `node-<CC>`):
   * on a local stack started with `hub stack up --secure`, what it connects as unless HUB_KAFKA_USERNAME says
   * otherwise, under HUB_NAMESPACE as `<namespace>.<principal>` (other commands connect as hub-admin there).
   */
  kafkaPrincipal?: string;
}

/**
 * A hub service's Kafka principal under the namespace, as @hub/kafka's hubPrincipals names it (`<ns>.node-KZ`;
 * `node-KZ` without one): hubs sharing a cluster never share a principal. hub-admin is the cluster's, never namespaced.
 */
export function namespacedPrincipal(namespace: string, principal: string): string {
  return namespace ? `${namespace}.${principal}` : principal;
}

/**
 * Parse and validate the configuration once, at start-up. Brokers and store come from
 * HUB_KAFKA_BROKERS / HUB_MONGO_URL (or HUB_MONGO_URL_FILE) when set, otherwise from the local stack that
 * `hub stack up` started.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): HubConfig {
  const hubHome = defaultHubHome(env);
  const namespace = env.HUB_NAMESPACE ?? '';
  if (namespace && !/^[a-z0-9][a-z0-9-]{0,40}$/.test(namespace)) {
    throw new HubError(
      'CONFIG_INVALID',
      `HUB_NAMESPACE=${namespace} must be lower-case letters, digits and dashes`,
    );
  }
  // A hub without a namespace grants its coordinator the consumer groups starting with `coordinator` and its query
  // API those starting with `query-api-` (prefixed): they would cover every group of such a namespace's hub on the
  // same cluster (`coordinator-eu.coordinator`), whose partitions the other hub could then take. Node groups cannot
  // collide: theirs are `node-<CC>-`, upper-case, and a namespace is lower-case.
  if (/^(?:coordinator|query-api-)/.test(namespace)) {
    throw new HubError(
      'CONFIG_INVALID',
      `HUB_NAMESPACE=${namespace} must not begin with "coordinator" or "query-api-": a hub without a namespace on the same cluster is granted every consumer group beginning so (its coordinator's and query API's), so it could join this hub's groups; choose another name (e.g. "eu")`,
    );
  }
  const stackPorts: StackPorts = {
    kafka: intFrom(env, 'HUB_STACK_KAFKA_PORT', 39092),
    kafkaController: intFrom(env, 'HUB_STACK_KAFKA_CONTROLLER_PORT', 39093),
    kafkaInternal: intFrom(env, 'HUB_STACK_KAFKA_INTERNAL_PORT', 39094),
    mongo: intFrom(env, 'HUB_STACK_MONGO_PORT', 37017),
  };
  const stack = readLocalStackInfo(hubHome);
  const brokersEnv = env.HUB_KAFKA_BROKERS?.trim();
  const brokers = brokersEnv
    ? brokerList(brokersEnv)
    : (stack?.kafka.brokers ?? [`127.0.0.1:${stackPorts.kafka}`]);
  const mongoUrlGiven = mongoUrlFrom(env);
  const mongoUrl = mongoUrlGiven || stack?.mongo.url || `mongodb://127.0.0.1:${stackPorts.mongo}/`;
  const demo = demoCountries(env.HUB_DEMO_COUNTRIES ?? 'KZ,KG,TJ,UZ,TM');
  return {
    hubHome,
    cacheDir: defaultCacheDir(env),
    namespace,
    kafka: {
      brokers,
      fromLocalStack: !brokersEnv,
      replicationFactor: replicationFactor(env, brokersEnv ? Math.min(3, brokers.length) : 1),
      clientId: env.HUB_KAFKA_CLIENT_ID?.trim() || 'seizure-hub',
      security: kafkaSecurity(
        env,
        hubHome,
        !brokersEnv && stack?.kafka.security === 'sasl_ssl'
          ? options.kafkaPrincipal
            ? namespacedPrincipal(namespace, options.kafkaPrincipal)
            : 'hub-admin'
          : undefined,
      ),
    },
    mongo: {
      url: mongoUrl,
      dbName: mongoDbName(env.HUB_MONGO_DB, namespace, mongoUrl),
      fromLocalStack: !mongoUrlGiven,
    },
    apiPort: intFrom(env, 'HUB_API_PORT', 8080),
    nodeBasePort: intFrom(env, 'HUB_NODE_BASE_PORT', 8101),
    stackPorts,
    logLevel: logLevel(env),
    logLevelSet: Boolean(env.HUB_LOG_LEVEL?.trim()),
    demoCountries: demo,
    matchSecretHex: matchSecret(env.HUB_MATCH_SECRET),
    nodeWebhook: env.HUB_NODE_WEBHOOK_URL?.trim()
      ? { url: webhookUrl(env.HUB_NODE_WEBHOOK_URL.trim()), secret: env.HUB_NODE_WEBHOOK_SECRET || undefined }
      : undefined,
    // Bounded: a review date past the last date there is (a number of days near 10^8) would be stored as 1970, and
    // every report would be due for review at once. A century is more than any retention rule asks.
    retention: {
      seizureDays: bounded(env, 'HUB_RETENTION_SEIZURE_DAYS', 3 * 365, RETENTION_DAYS),
      annualDays: bounded(env, 'HUB_RETENTION_ANNUAL_DAYS', 10 * 365, RETENTION_DAYS),
      warnDays: bounded(env, 'HUB_RETENTION_WARN_DAYS', 90, RETENTION_DAYS),
      // A timer, as HUB_QUERY_TIMEOUT_S below: set longer than 2^31-1 ms, Node would review every millisecond.
      checkMinutes: bounded(env, 'HUB_RETENTION_CHECK_MINUTES', 60, {
        unit: 'minutes',
        min: 0.001,
        max: 35_791,
        why: "a timer's longest, about 24.8 days",
      }),
    },
    signatureBatch: onOff(env, 'HUB_SIGNATURE_BATCH', true),
    // A timer takes at most 2^31-1 ms (about 24.8 days): beyond, Node fires it at once, and every read would time out.
    queryTimeoutMs: Math.round(seconds(env, 'HUB_QUERY_TIMEOUT_S', 120, 2_147_483) * 1000),
    queryConcurrency: count(env, 'HUB_QUERY_CONCURRENCY', 8, 1000),
    queryTotalConcurrency: count(env, 'HUB_QUERY_TOTAL_CONCURRENCY', 32, 10000),
    nodeHost: listenHost('HUB_NODE_HOST', env.HUB_NODE_HOST, '127.0.0.1'),
    nodeClientTokens: env.HUB_NODE_TOKEN_FILE?.trim()
      ? clientTokens('HUB_NODE_TOKEN_FILE', env.HUB_NODE_TOKEN_FILE.trim())
      : undefined,
    ...nodeTls(env),
  };
}

/**
 * The store's URL from HUB_MONGO_URL, or from the first line of HUB_MONGO_URL_FILE (a Docker secret: the URL carries
 * the service's user and password); undefined when neither is set (the local stack). The file's content is never
 * repeated in an error.
 */
function mongoUrlFrom(env: NodeJS.ProcessEnv): string | undefined {
  const file = env.HUB_MONGO_URL_FILE?.trim();
  const inline = env.HUB_MONGO_URL?.trim();
  if (file && inline)
    throw new HubError(
      'CONFIG_INVALID',
      `HUB_MONGO_URL and HUB_MONGO_URL_FILE=${file} are both set: give the store's URL one way (the file when it carries a password)`,
    );
  if (!file) {
    if (inline && !MONGO_URL.test(inline))
      throw new HubError(
        'CONFIG_INVALID',
        `HUB_MONGO_URL=${withoutCredentials(inline)} is not a MongoDB connection string: it starts with mongodb:// or mongodb+srv:// (mongodb://<host>:<port>/, mongodb://<user>:<password>@<host>,.../?replicaSet=...)`,
      );
    return inline || undefined;
  }
  const url = (readConfigFile('HUB_MONGO_URL_FILE', file).split(/\r?\n/)[0] ?? '').trim();
  if (!MONGO_URL.test(url))
    throw new HubError(
      'CONFIG_INVALID',
      `HUB_MONGO_URL_FILE=${file} holds no MongoDB connection string on its first line (mongodb://<user>:<password>@<host>,.../?replicaSet=...)`,
    );
  return url;
}

/** What the MongoDB driver takes as a connection string (anything else it refuses with a parse error). */
const MONGO_URL = /^mongodb(\+srv)?:\/\/\S+$/;

/** A connection string as it may be shown: a user and password in it replaced by `***`. */
function withoutCredentials(url: string): string {
  const at = url.lastIndexOf('@');
  if (at < 0) return url;
  const scheme = /^[a-z+]+:\/\//i.exec(url)?.[0] ?? '';
  return `${scheme}***${url.slice(at)}`;
}

/**
 * HUB_KAFKA_BROKERS: `host:port` entries separated by commas (blank ones skipped), at least one. A broker without its
 * port, a URL, or an IPv6 literal is refused here: kafkajs would take it and fail at the first connection.
 */
function brokerList(raw: string): string[] {
  const brokers = raw
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0)
    throw new HubError(
      'CONFIG_INVALID',
      `HUB_KAFKA_BROKERS=${raw} names no broker: give host:port, several separated by commas (kafka-1:9092,kafka-2:9092), or unset it for the local stack`,
    );
  for (const broker of brokers) {
    // kafkajs splits a broker at its first colon: an IPv6 literal, bracketed or not, would be looked up as host '['.
    if (broker.startsWith('[') || (/^[0-9A-Fa-f:.]+$/.test(broker) && broker.split(':').length > 2))
      throw new HubError(
        'CONFIG_INVALID',
        `HUB_KAFKA_BROKERS=${raw}: ${JSON.stringify(broker)} is an IPv6 address, which the Kafka client cannot connect to (it splits host:port at the first colon): name the broker by a host name that resolves to it (e.g. localhost, or one in /etc/hosts), or by its IPv4 address`,
      );
    const m = /^[A-Za-z0-9._-]+:(\d{1,5})$/.exec(broker);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535)
      throw new HubError(
        'CONFIG_INVALID',
        `HUB_KAFKA_BROKERS=${raw}: ${JSON.stringify(broker)} is not a broker's host:port (a host name or address, a colon, a port 1-65535; e.g. kafka-1:9092)`,
      );
  }
  return brokers;
}

/** HUB_KAFKA_REPLICATION_FACTOR: the copies of each partition the topics are made with, on that many brokers. */
function replicationFactor(env: NodeJS.ProcessEnv, fallback: number): number {
  const raw = env.HUB_KAFKA_REPLICATION_FACTOR;
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  // Kafka takes a replication factor up to 32767 (a short), and no more than the brokers the cluster has.
  if (!Number.isInteger(n) || n < 1 || n > 32767)
    throw new HubError(
      'CONFIG_INVALID',
      `HUB_KAFKA_REPLICATION_FACTOR=${raw} must be a whole number of replicas from 1 to 32767 (the copies of each partition, at most the brokers the cluster has; default: the brokers named, up to 3, or 1 on the local stack)`,
    );
  return n;
}

/**
 * Why `name` would be refused as a database name by the store, or undefined: MongoDB refuses these characters and
 * names of 64 bytes or more, FerretDB names of more than 63 bytes.
 */
export function databaseNameProblem(name: string): string | undefined {
  if (name === '') return 'must name a database';
  if (/[/\\. "$*<>:|?\0]/.test(name)) return 'must not contain / \\ . space " $ * < > : | ? or a NUL';
  if (Buffer.byteLength(name) > 63) return 'must be at most 63 bytes long';
  return undefined;
}

/**
 * The database a MongoDB connection string names in its path (mongodb://host/<db>?...), or undefined. Its user and
 * password carry no unescaped `/` (the connection string's rules), so the path starts at the first `/` after the
 * scheme.
 */
export function urlDatabase(url: string): string | undefined {
  const rest = url.replace(/^mongodb(\+srv)?:\/\//, '');
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  const path = rest.slice(slash + 1).split('?')[0] ?? '';
  try {
    return decodeURIComponent(path) || undefined;
  } catch {
    return path || undefined;
  }
}

/**
 * HUB_MONGO_DB; when blank (set but empty), the database HUB_MONGO_URL names in its path, as the driver took an empty
 * name before; otherwise, and when unset, seizurehub (seizurehub-<namespace> under HUB_NAMESPACE): an empty name
 * given to the driver with no database in the URL would be its own default, `test`.
 */
function mongoDbName(raw: string | undefined, namespace: string, url: string): string {
  const name = raw?.trim();
  const fallback = namespace ? `seizurehub-${namespace}` : 'seizurehub';
  if (!name) return (raw !== undefined && urlDatabase(url)) || fallback;
  const problem = databaseNameProblem(name);
  if (problem)
    throw new HubError(
      'CONFIG_INVALID',
      `HUB_MONGO_DB=${raw} is not a database name the store takes: it ${problem}`,
    );
  return name;
}

/**
 * HUB_DEMO_COUNTRIES: the countries whose national nodes `npm start` runs, ISO 3166-1 alpha-2 codes (any case)
 * separated by commas, each once (two nodes of one country would sign as it twice, on the same port plan).
 */
function demoCountries(raw: string): string[] {
  const codes = raw
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  const seen = new Set<string>();
  for (const given of codes) {
    const code = given.toUpperCase();
    const alpha2 = /^[A-Z]{2}$/.test(code) ? resolveCountry(code) : undefined;
    if (!alpha2) {
      const meant = given.length <= 60 ? resolveCountry(given) : undefined;
      throw new HubError(
        'CONFIG_INVALID',
        `HUB_DEMO_COUNTRIES=${raw}: ${JSON.stringify(given)} is not an ISO 3166-1 alpha-2 country code (two letters, like KZ)` +
          (meant ? `; ${meant} is the alpha-2 code of ${given}` : ''),
      );
    }
    if (seen.has(code))
      throw new HubError(
        'CONFIG_INVALID',
        `HUB_DEMO_COUNTRIES=${raw}: ${JSON.stringify(given)} names ${code} again: each country once (one node each)`,
      );
    seen.add(code);
  }
  return [...seen];
}

/** HUB_LOG_LEVEL, one of pino's levels (any case); unset or empty: info. */
function logLevel(env: NodeJS.ProcessEnv): LogLevel {
  const raw = env.HUB_LOG_LEVEL?.trim().toLowerCase();
  if (!raw) return 'info';
  const level = LOG_LEVELS.find((l) => l === raw);
  if (!level)
    throw new HubError(
      'CONFIG_INVALID',
      `HUB_LOG_LEVEL=${env.HUB_LOG_LEVEL} is not a log level: use one of ${LOG_LEVELS.join(', ')}`,
    );
  return level;
}

/** HUB_NODE_TLS_CERT_FILE, HUB_NODE_TLS_KEY_FILE and HUB_NODE_CLIENT_CERTIFICATES (see HubConfig). */
function nodeTls(env: NodeJS.ProcessEnv): Pick<HubConfig, 'nodeTls' | 'nodeClientCertificates'> {
  const cert = env.HUB_NODE_TLS_CERT_FILE?.trim();
  const key = env.HUB_NODE_TLS_KEY_FILE?.trim();
  if (!cert !== !key)
    throw new HubError(
      'CONFIG_INVALID',
      `HUB_NODE_TLS_CERT_FILE and HUB_NODE_TLS_KEY_FILE go together: set both (a node's TLS certificate and key, from 'hub pki issue-server') or neither`,
    );
  const mode = env.HUB_NODE_CLIENT_CERTIFICATES?.trim().toLowerCase() || 'off';
  if (mode !== 'off' && mode !== 'require')
    throw new HubError(
      'CONFIG_INVALID',
      `HUB_NODE_CLIENT_CERTIFICATES=${env.HUB_NODE_CLIENT_CERTIFICATES} must be require or off`,
    );
  if (mode === 'require' && !cert)
    throw new HubError(
      'CONFIG_INVALID',
      'HUB_NODE_CLIENT_CERTIFICATES=require needs TLS: set HUB_NODE_TLS_CERT_FILE and HUB_NODE_TLS_KEY_FILE too',
    );
  const tls =
    cert && key
      ? {
          certPem: readConfigFile('HUB_NODE_TLS_CERT_FILE', cert),
          keyPem: readConfigFile('HUB_NODE_TLS_KEY_FILE', key),
          certFile: cert,
          keyFile: key,
        }
      : undefined;
  if (tls && !/-----BEGIN CERTIFICATE-----/.test(tls.certPem))
    throw new HubError('CONFIG_INVALID', `HUB_NODE_TLS_CERT_FILE=${cert} holds no PEM certificate`);
  if (tls && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(tls.keyPem))
    throw new HubError('CONFIG_INVALID', `HUB_NODE_TLS_KEY_FILE=${key} holds no PEM private key`);
  return { ...(tls && { nodeTls: tls }), nodeClientCertificates: mode === 'require' };
}

/**
 * The tokens in `path`, one per line: `<token>` or `<client> <token>` (blank lines and # comments skipped), each
 * token 32 characters or more; an unnamed token's client is `agency`.
 */
/** A client name in HUB_NODE_TOKEN_FILE, which reports carry as their submittedBy. */
export const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function clientTokens(name: string, path: string): NodeClientToken[] {
  const tokens: NodeClientToken[] = [];
  readConfigFile(name, path)
    .split('\n')
    .forEach((raw, i) => {
      const fields = raw.trim().split(/\s+/).filter(Boolean);
      if (fields.length === 0 || fields[0]!.startsWith('#')) return;
      const [client, token] = fields.length === 2 ? fields : ['agency', fields[0]!];
      const problem =
        fields.length > 2
          ? 'a line is a token, or a client name and a token'
          : !CLIENT_NAME.test(client!)
            ? 'a client name is letters, digits, dots, dashes and underscores (64 at most)'
            : token!.length < 32
              ? 'a token is 32 characters or more (`hub security client-tokens` makes one)'
              : undefined;
      if (problem) throw new HubError('CONFIG_INVALID', `${name}=${path}, line ${i + 1}: ${problem}`);
      tokens.push({ client: client!, token: token! });
    });
  if (tokens.length === 0)
    throw new HubError('CONFIG_INVALID', `${name}=${path} holds no token (one per line)`);
  return tokens;
}

/** An interface to listen on: an IPv4 or IPv6 address, or a host name (letters, digits, dots and dashes). */
function listenHost(name: string, raw: string | undefined, fallback: string): string {
  const host = raw?.trim();
  if (!host) return fallback;
  const hostname =
    /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
  if (isIP(host) === 0 && !hostname.test(host))
    throw new HubError(
      'CONFIG_INVALID',
      `${name}=${raw} is not an interface to listen on: give an IP address (127.0.0.1, 0.0.0.0, ::) or a host name`,
    );
  return host;
}

/** A whole number from 0 (none) to `max`. */
function count(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new HubError('CONFIG_INVALID', `${name}=${raw} must be a whole number from 0 (no limit) to ${max}`);
  return n;
}

/** A duration in seconds, fractions allowed; 0 means none. */
function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number, max = Infinity): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (n > 0 && n < 0.001) || n > max)
    throw new HubError(
      'CONFIG_INVALID',
      `${name}=${raw} must be a number of seconds: 0 (no limit) or at least 0.001` +
        (max < Infinity ? ` and at most ${max}` : ''),
    );
  return n;
}

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['on', 'true', '1', 'yes'].includes(raw)) return true;
  if (['off', 'false', '0', 'no'].includes(raw)) return false;
  throw new HubError('CONFIG_INVALID', `${name}=${env[name]} must be on or off`);
}

function matchSecret(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^[0-9a-fA-F]{64,}$/.test(raw.trim()))
    throw new HubError(
      'CONFIG_INVALID',
      'HUB_MATCH_SECRET must be at least 32 bytes written in hex (64 hex digits)',
    );
  return raw.trim();
}

function readConfigFile(name: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new HubError('CONFIG_INVALID', `${name}=${path} cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * HUB_KAFKA_SECURITY=sasl_ssl: TLS to the brokers (trusting HUB_KAFKA_CA_FILE, default the hub CA certificate)
 * and SASL/SCRAM-SHA-512 as HUB_KAFKA_USERNAME with HUB_KAFKA_PASSWORD or the first line of HUB_KAFKA_PASSWORD_FILE.
 * `localPrincipal` is given when the brokers are a local stack started secured: then sasl_ssl is the default, as
 * that principal, with its password from `$HUB_HOME/secrets/kafka/<principal>.password` (where the stack wrote it).
 */
function kafkaSecurity(
  env: NodeJS.ProcessEnv,
  hubHome: string,
  localPrincipal?: string,
): KafkaSecurity | undefined {
  const mode = (env.HUB_KAFKA_SECURITY ?? (localPrincipal ? 'sasl_ssl' : '')).trim().toLowerCase();
  if (mode === '' || mode === 'plaintext') {
    // Credentials go only with sasl_ssl: without it they would be left unused, and the client would speak
    // plaintext to a SASL_SSL listener, which answers with nothing but connection errors.
    const given = ['HUB_KAFKA_USERNAME', 'HUB_KAFKA_PASSWORD', 'HUB_KAFKA_PASSWORD_FILE'].filter((n) =>
      env[n]?.trim(),
    );
    const said = env.HUB_KAFKA_SECURITY?.trim() ? `=${env.HUB_KAFKA_SECURITY}` : ' is not set (plaintext)';
    if (given.length)
      throw new HubError(
        'CONFIG_INVALID',
        `${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} set, but HUB_KAFKA_SECURITY${said}: credentials are sent only with HUB_KAFKA_SECURITY=sasl_ssl. Set it to connect with them, or unset them`,
      );
    return undefined;
  }
  if (mode !== 'sasl_ssl')
    throw new HubError(
      'CONFIG_INVALID',
      `HUB_KAFKA_SECURITY=${env.HUB_KAFKA_SECURITY} is not known; use plaintext (the default) or sasl_ssl`,
    );
  const username = env.HUB_KAFKA_USERNAME?.trim() || localPrincipal;
  if (!username)
    throw new HubError(
      'CONFIG_INVALID',
      'HUB_KAFKA_SECURITY=sasl_ssl needs HUB_KAFKA_USERNAME (node-<CC>, coordinator, query-api or hub-admin; under HUB_NAMESPACE <namespace>.node-<CC>, <namespace>.coordinator, <namespace>.query-api)',
    );
  let passwordFile = env.HUB_KAFKA_PASSWORD_FILE?.trim();
  if (localPrincipal && !passwordFile && !env.HUB_KAFKA_PASSWORD) {
    // The secured local stack wrote a password for each principal it gave a credential (and ACLs) to.
    passwordFile = kafkaPasswordFile(kafkaSecretsDir(hubHome), username);
    if (!existsSync(passwordFile))
      throw new HubError(
        'CONFIG_INVALID',
        `${passwordFile} cannot be read: the local stack's broker runs the security profile, and gives no credential to ${username}. ` +
          (/(?:^|\.)node-[A-Z]{2}$/.test(username)
            ? `Add ${username.slice(-2)} to HUB_DEMO_COUNTRIES and run 'hub stack up --secure' again: it gives the country its credential, topics and ACLs.`
            : `Run 'hub stack up --secure' again, or 'hub stack down' and start it afresh.`),
      );
  }
  const password = passwordFile
    ? (readConfigFile('HUB_KAFKA_PASSWORD_FILE', passwordFile).split(/\r?\n/)[0] ?? '')
    : (env.HUB_KAFKA_PASSWORD ?? '');
  if (!password)
    throw new HubError(
      'CONFIG_INVALID',
      `HUB_KAFKA_SECURITY=sasl_ssl needs the password of ${username}: set HUB_KAFKA_PASSWORD_FILE (preferred) or HUB_KAFKA_PASSWORD`,
    );
  const caFile = env.HUB_KAFKA_CA_FILE?.trim() || join(hubHome, 'pki', 'ca', 'ca.crt');
  // By default every hub CA: the current one and those a rollover replaced (the brokers may still serve a
  // certificate of one of them until they are given a new one).
  const previousDir = join(hubHome, 'pki', 'ca', 'previous');
  const previous =
    env.HUB_KAFKA_CA_FILE?.trim() || !existsSync(previousDir)
      ? []
      : readdirSync(previousDir)
          .filter((f) => f.endsWith('.crt'))
          .sort()
          .map((f) => readFileSync(join(previousDir, f), 'utf8'));
  const caPem = [readConfigFile('HUB_KAFKA_CA_FILE', caFile), ...previous].join('\n');
  if (!caPem.includes('-----BEGIN CERTIFICATE-----'))
    throw new HubError('CONFIG_INVALID', `HUB_KAFKA_CA_FILE=${caFile} holds no PEM certificate`);
  return {
    protocol: 'sasl_ssl',
    mechanism: 'scram-sha-512',
    username,
    password,
    ...(passwordFile && { passwordFile }),
    caPem,
  };
}

interface Range {
  unit: string;
  /** The least taken; above 0 when not given. */
  min?: number;
  max: number;
  /** Where `max` comes from, for the refusal. */
  why: string;
}

/** The retention periods and warning (HUB_RETENTION_*_DAYS): past a century, see loadConfig. */
const RETENTION_DAYS: Range = { unit: 'days', max: 36_500, why: '100 years' };

/** A number of `range.unit` above 0 (or at least `range.min`) and at most `range.max`, fractions allowed. */
function bounded(env: NodeJS.ProcessEnv, name: string, fallback: number, range: Range): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n < (range.min ?? 0) || n > range.max)
    throw new HubError(
      'CONFIG_INVALID',
      `${name}=${raw} must be a number of ${range.unit} ` +
        `${range.min === undefined ? 'above 0 and at most' : `from ${range.min} to`} ${range.max} (${range.why})`,
    );
  return n;
}

function webhookUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http');
  } catch {
    throw new HubError('CONFIG_INVALID', `HUB_NODE_WEBHOOK_URL=${raw} must be an http(s) URL`);
  }
  // fetch refuses a URL with credentials (nothing would ever be delivered), and the URL is logged and shown by
  // /healthz with each failure: refused here, without repeating the password.
  if (u.username || u.password) {
    u.username = '';
    u.password = '';
    throw new HubError(
      'CONFIG_INVALID',
      `HUB_NODE_WEBHOOK_URL=${u.toString()} must not carry a user or password: the node signs each delivery with HUB_NODE_WEBHOOK_SECRET (x-hub-signature), which the receiving system checks`,
    );
  }
  return u.toString();
}
