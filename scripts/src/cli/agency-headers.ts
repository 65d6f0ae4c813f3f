// What the hub's own tools (import, the demo) send to a national node as an agency's system: the first token of
// HUB_NODE_TOKEN_FILE when it names one, as the node reads the same variable; and what to tell the user when the
// node refuses it.
import { loadConfig } from '@hub/config';

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
  " (the node asks for the agencies' token: set HUB_NODE_TOKEN_FILE to a file holding it, as the node has)";
