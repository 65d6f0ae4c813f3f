// Calls to the query API with the bearer token; errors carry the API's stable code and message.

export class ApiError extends Error {
  /** `requestId`: the id the API gives an internal error, for the operator to find it in the logs. */
  constructor(status, code, message, errors = [], requestId = undefined) {
    super(message);
    this.status = status;
    this.code = code;
    this.errors = errors;
    this.requestId = requestId;
  }
}

function query(params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}

async function failure(res) {
  let body = {};
  try {
    body = await res.json();
  } catch {
    // not JSON: keep the status alone
  }
  const detail = (body.errors ?? []).map((e) => `${e.field}: ${e.message}`).join('; ');
  return new ApiError(
    res.status,
    body.error?.code ?? `HTTP_${res.status}`,
    [body.error?.message ?? res.statusText, detail].filter(Boolean).join(' — '),
    body.errors ?? [],
    typeof body.error?.requestId === 'string' ? body.error.requestId : undefined,
  );
}

let description;
/** The API's own description (/openapi.json, public), fetched once: the lists and limits the forms take from it. */
export function apiDescription() {
  if (!description) {
    description = fetch('/openapi.json').then((res) => {
      if (!res.ok)
        throw new ApiError(res.status, `HTTP_${res.status}`, 'the API description could not be read');
      return res.json();
    });
    // A failed fetch is tried again at the next use.
    description.catch(() => (description = undefined));
  }
  return description;
}

/**
 * `token()` gives the current token; `onUnauthorized(error)` is told of a 401 to it (the session is over).
 */
export function createApi({ token, onUnauthorized }) {
  async function call(path, params, signal, body) {
    const sent = token();
    let res;
    try {
      res = await fetch(`${path}${query(params)}`, {
        headers: {
          authorization: `Bearer ${sent}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) }),
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw new ApiError(0, 'ABORTED', 'superseded');
      throw new ApiError(0, 'NETWORK', err.message);
    }
    if (!res.ok) {
      const err = await failure(res);
      // Only the token still in use ends the session: a refusal of one signed out since (an answer that came late)
      // does not sign out whoever is there now.
      if (res.status === 401 && token() === sent) onUnauthorized(err);
      throw err;
    }
    return res;
  }
  return {
    /** `signal` ends the call (a newer search supersedes it): it then fails with the code ABORTED. */
    async get(path, params, { signal } = {}) {
      return (await call(path, params, signal)).json();
    },
    /** POST a JSON body; resolves to the JSON answer (a refusal throws ApiError, with `errors` field by field). */
    async post(path, body) {
      return (await call(path, undefined, undefined, body)).json();
    },
    /**
     * Fetch a file with the token and hand it to the browser as a download; resolves to `{ name, truncated }`,
     * `truncated` when the API says more matched than the file holds (x-export-truncated: the CSV's row limit).
     */
    async download(path, params, fallbackName) {
      const res = await call(path, params);
      const name =
        /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
      const truncated = res.headers.get('x-export-truncated') === 'true';
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      return { name, truncated };
    },
  };
}
