// Sign-in: whether the query API takes a token, asked before anything is shown with it.

/**
 * The call that proves a token. The API has no route of its own for that (no "who am I"), and every /v1 route checks
 * the token before anything else, answering 401 to one it refuses. This one is the cheapest that reads no records: a
 * page of one information request, whose list is not filtered by handling and never times out on records the caller
 * may not read (as a page of alerts can, 504 QUERY_TIMEOUT); the roles it is not for (auditor, admin) are answered 403
 * before anything is read, which says as much of the token.
 */
export const TOKEN_CHECK = '/v1/requests?limit=1';

/**
 * Null when the API takes `token`, else `{ code, message }` saying why not. Only a 401 refuses it: any other answer of
 * the API's own (a 403 for the role, a 429, a 5xx or a 504 it answers with its error code) came after it took the token,
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
