// The shape of every id the hub's messages carry (message ids, report, route, return, request and response ids).
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
