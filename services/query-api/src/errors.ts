// Every error code the query API answers with, and its HTTP status. docs/errors.md lists the same table
// (a test keeps the two in sync).
export const ERROR_STATUS: Record<string, { status: number; meaning: string }> = {
  TOKEN_MISSING: { status: 401, meaning: 'No Authorization: Bearer header.' },
  TOKEN_INVALID: {
    status: 401,
    meaning:
      'Not a JWT, wrong algorithm, unknown kid, bad signature, wrong issuer or audience, or missing claims.',
  },
  TOKEN_EXPIRED: { status: 401, meaning: 'The token is past its exp (30 s skew allowed).' },
  TOKEN_NOT_YET_VALID: { status: 401, meaning: 'The token is before its nbf (30 s skew allowed).' },
  FORBIDDEN: { status: 403, meaning: 'The token is valid but its role may not use this endpoint.' },
  VALIDATION_FAILED: {
    status: 400,
    meaning:
      'A query parameter is unknown or malformed, or a field of an information request a coordinator asks (`POST /v1/requests`); `errors` names each one.',
  },
  MALFORMED_JSON: { status: 400, meaning: 'The body of `POST /v1/requests` is not JSON.' },
  NOT_FOUND: { status: 404, meaning: 'No such record visible to the caller, or no such endpoint.' },
  BODY_TOO_LARGE: { status: 413, meaning: 'The body of `POST /v1/requests` is over 64 kB.' },
  TOO_MANY_REQUESTS: {
    status: 429,
    meaning:
      'The caller already has HUB_QUERY_CONCURRENCY requests (default 8) being answered and four times as many waiting, or four times as many feed streams open; wait for them (or close a stream), then send it again (Retry-After).',
  },
  STORE_UNAVAILABLE: { status: 503, meaning: 'The store cannot be reached; retry later.' },
  FEED_UNAVAILABLE: {
    status: 503,
    meaning:
      "A feed stream cannot be followed now: the brokers cannot be reached, or the region's feed topic is not made yet (the coordinator makes it at start); retry later.",
  },
  QUERY_API_BUSY: {
    status: 503,
    meaning:
      'The query API is working on HUB_QUERY_TOTAL_CONCURRENCY requests of all its callers (default 32) and four times as many are waiting; send it again later (Retry-After).',
  },
  QUERY_TIMEOUT: {
    status: 504,
    meaning:
      'The store spent longer than HUB_QUERY_TIMEOUT_S (default 120 s) on a read, and stopped it; narrow the query or ask the operator to raise the limit. Also a page of alerts that met 5,000 the caller may not see before one it may: narrow the dates (from, to).',
  },
  INTERNAL: { status: 500, meaning: 'An unexpected error; it is logged with the request id.' },
};
