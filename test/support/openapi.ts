// Checks answers against an OpenAPI 3.0 description (the national node's, the query API's): the status must be one
// the description gives for the route, and the body must match that status's JSON schema.
import { expect } from 'chai';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Express } from 'express';
import { asJsonSchema } from '@hub/errors/openapi';

type Response = { $ref?: string; content?: Record<string, { schema?: object }> };
export interface OpenApiDoc {
  paths: Record<string, Record<string, { responses: Record<string, Response>; requestBody?: Response }>>;
  components: { responses?: Record<string, Response>; schemas: Record<string, object> };
}

export interface OpenApiChecker {
  /** The JSON schema the description gives for this answer. */
  schemaFor(path: string, method: string, status: number, type?: string): object;
  /** A validator for a schema of the description (its component references resolve). */
  validator(schema: object): ValidateFunction;
  /** Assert that this answer's status is described for the route and its body has the described shape. */
  check(path: string, method: string, status: number, body: unknown, type?: string): void;
  errorsText(v: ValidateFunction): string;
}

/** A field as the node names it (drugs[0].quantity) from a JSON Schema error (a missing one: the property's). */
export const fieldOf = (e: ErrorObject) => {
  const missing = (e.params as { missingProperty?: string }).missingProperty;
  return `${e.instancePath}${missing ? `/${missing}` : ''}`
    .replace(/\/(\d+)/g, '[$1]')
    .replace(/^\//, '')
    .replaceAll('/', '.');
};

/** `described`: OpenAPI 3.0 (its boolean exclusiveMinimum read as JSON Schema draft 7 takes it: asJsonSchema). */
export function openApiChecker(described: OpenApiDoc): OpenApiChecker {
  const doc = asJsonSchema(described);
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // Component references (#/components/...) resolve inside the description, registered as "api".
  ajv.addSchema({ $id: 'api', components: doc.components });
  const compiled = new Map<string, ValidateFunction>();
  const validator = (schema: object) => {
    const key = JSON.stringify(schema);
    let v = compiled.get(key);
    if (!v) {
      v = ajv.compile(JSON.parse(key.replaceAll('"#/components/', '"api#/components/')) as object);
      compiled.set(key, v);
    }
    return v;
  };
  const schemaFor = (path: string, method: string, status: number, type = 'application/json') => {
    const operation = doc.paths[path]?.[method];
    expect(operation, `${method} ${path} is described`).to.not.equal(undefined);
    let response = operation!.responses[String(status)];
    expect(response, `${method} ${path} describes status ${status}`).to.not.equal(undefined);
    if (response!.$ref) response = doc.components.responses?.[response!.$ref.split('/').pop()!];
    const schema = response?.content?.[type]?.schema;
    expect(schema, `${method} ${path} ${status} has a ${type} schema`).to.not.equal(undefined);
    return schema!;
  };
  return {
    schemaFor,
    validator,
    errorsText: (v) => ajv.errorsText(v.errors),
    check(path, method, status, body, type) {
      const v = validator(schemaFor(path, method, status, type));
      expect(v(body), `${method} ${path} ${status}: ${ajv.errorsText(v.errors)}`).to.equal(true);
    },
  };
}

/** Method and path (OpenAPI style, {param}) of every route an Express 5 app serves, nested routers included. */
export function servedRoutes(app: Express): string[] {
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle: { stack?: Layer[] } };
  const out: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route)
        for (const method of Object.keys(layer.route.methods))
          out.push(`${method} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
      else if (layer.handle.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return out;
}

/** Assert that the routes served (`method /path/{param}`) are exactly those the description gives; parameters are
 * compared by position, not by name. */
export function expectEveryRouteDescribed(served: string[], doc: OpenApiDoc): void {
  const shape = (route: string) => route.replace(/\{\w+\}/g, '{}');
  const described = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => shape(`${m} ${path}`)),
  );
  const shaped = served.map(shape);
  expect(
    shaped.filter((r) => !described.includes(r)),
    'served but not described',
  ).to.deep.equal([]);
  expect(
    described.filter((r) => !shaped.includes(r)),
    'described but not served',
  ).to.deep.equal([]);
}
