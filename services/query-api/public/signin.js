// Sign-in: whether the query API takes a token, asked before anything is shown with it.

/**
 * The call that proves a token: who the token says the caller is, for any role, reading and auditing nothing (so it
 * never times out on records the caller may not read, as a page of alerts can, 504 QUERY_TIMEOUT).
 */
export const TOKEN_CHECK = '/v1/session';

/**
 * Null when the API takes `token`, else `{ code, message }` saying why not. Only a 401 refuses it: any other answer of
 * the API's own (a 429, a 5xx it answers with its error code) came after it took the token,
 * and is left for the panels to show. An answer that is not the API's (no error code: a proxy, the network) proves
 * nothing and refuses it too.
 */
export async function tokenRefusal(token, fetchFn = fetch) {
  let res;
  try {
    res = await fetchFn(TOKEN_CHECK, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    });
  } catch (err) {
    return { code: 'NETWORK', message: err.message };
  }
  const body = await res.json().catch(() => ({}));
  if (res.ok || (res.status !== 401 && typeof body?.error?.code === 'string')) return null;
  return {
    code: body?.error?.code ?? `HTTP_${res.status}`,
    message: body?.error?.message ?? res.statusText,
  };
}
