// What the hub's own tools (import, the demo) send to a national node as an agency's system: its first token when
// HUB_NODE_TOKEN_FILE names one, as the node reads the same variable.
import { loadConfig, nodeClientHeaders } from '@hub/config';

let headers: Record<string, string> | undefined;

export function agencyHeaders(): Record<string, string> {
  headers ??= nodeClientHeaders(loadConfig());
  return headers;
}
