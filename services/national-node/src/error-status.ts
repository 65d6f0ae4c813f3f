// The HTTP status of a HubError, the one mapping for every answer of the node's API (docs/errors.md).
import type { HubError } from '@hub/errors';

/** 404 NOT_FOUND, 409 CONFLICT, 503 for a reason of the node's that may pass (send it again), else 400. */
export function httpStatusOf(err: HubError): number {
  return err.code === 'NOT_FOUND' ? 404 : err.code === 'CONFLICT' ? 409 : err.retriable ? 503 : 400;
}
