// What the hub's own tools (import, the demo) send to a national node as an agency's system: the first token of
// HUB_NODE_TOKEN_FILE when it names one, as the node reads the same variable; a client certificate
// (HUB_AGENCY_CERT_FILE and HUB_AGENCY_KEY_FILE) to a node that asks for one; and what to tell the user when the node
// refuses them.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import { PkiStore } from '@hub/pki';

let headers: Record<string, string> | undefined;

export function agencyHeaders(): Record<string, string> {
  if (!headers) {
    const first = loadConfig().nodeClientTokens?.[0];
    headers = first ? { authorization: `Bearer ${first.token}` } : {};
  }
  return headers;
}

/** Appended to a node's 401: the fix is on this side, in the environment. */
export const TOKEN_HINT =
  " (the node asks for the agencies' token: set HUB_NODE_TOKEN_FILE to a file holding it, as the node has; or its" +
  ' client certificate: set HUB_AGENCY_CERT_FILE and HUB_AGENCY_KEY_FILE)';

/** The answer of agencyFetch: what the tools read of fetch's Response. */
export interface AgencyAnswer {
  status: number;
  ok: boolean;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

const readTls = (name: string): string | undefined => {
  const path = process.env[name]?.trim();
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new HubError('USAGE', `${name}=${path} cannot be read: ${(err as Error).message}`);
  }
};

/** The agency's certificate, key and the CA it trusts, read once (an import sends many requests). */
let tls: { cert?: string; key?: string; ca?: string } | undefined;

function agencyTls(): { cert?: string; key?: string; ca?: string } {
  const cert = readTls('HUB_AGENCY_CERT_FILE');
  const key = readTls('HUB_AGENCY_KEY_FILE');
  if (!cert !== !key)
    throw new HubError(
      'USAGE',
      'HUB_AGENCY_CERT_FILE and HUB_AGENCY_KEY_FILE go together: set both or neither',
    );
  // The hub's CAs: the current one and those a rollover replaced (a node may still serve a certificate of one).
  const pki = new PkiStore(join(loadConfig().hubHome, 'pki'));
  const ca = readTls('HUB_AGENCY_CA_FILE') ?? (pki.hasCa() ? pki.caCertPem() : undefined);
  return { cert, key, ca };
}

/** Client certificates by a node's origin (`https://host:port`), when not given by HUB_AGENCY_CERT_FILE. */
const clients = new Map<string, { cert: string; key: string }>();

/** Present this certificate to the node at `url` (hub start's demo: a system of each demo country). */
export function useClientCertificate(url: string, client: { cert: string; key: string }): void {
  clients.set(new URL(url).origin, client);
}

/**
 * fetch, for a national node's URL: over https with the agency's client certificate (HUB_AGENCY_CERT_FILE,
 * HUB_AGENCY_KEY_FILE, or one given for that node) when there is one, trusting HUB_AGENCY_CA_FILE or else the hub CA
 * of this HUB_HOME.
 */
export async function agencyFetch(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal } = {},
): Promise<AgencyAnswer> {
  if (!url.startsWith('https:')) return fetch(url, init);
  tls ??= agencyTls();
  const given = clients.get(new URL(url).origin);
  const cert = tls.cert ?? given?.cert;
  const key = tls.key ?? given?.key;
  const { ca } = tls;
  const text = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      url,
      {
        method: init.method ?? 'GET',
        headers: init.headers,
        ...(ca && { ca }),
        ...(cert && key && { cert, key }),
        signal: init.signal,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
  return {
    status: text.status,
    ok: text.status >= 200 && text.status < 300,
    text: async () => text.text,
    json: async () => JSON.parse(text.text) as unknown,
  };
}
