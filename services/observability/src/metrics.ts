// Prometheus metrics: one registry per service, with the process's default metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'hub_' });
  return registry;
}

/**
 * `hub_store_command_seconds`, by command and collection: how long the store took to answer each command this
 * service sent (give the result to the store's `onCommand`). Where the store's time goes, per collection.
 */
export function storeCommandMetrics(
  registry: Registry,
): (command: { command: string; collection: string; ms: number; ok: boolean }) => void {
  const seconds = new Histogram({
    name: 'hub_store_command_seconds',
    help: 'Time the store took to answer a command, by command name, collection and outcome (ok or error)',
    labelNames: ['command', 'collection', 'outcome'],
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10, 60],
    registers: [registry],
  });
  return (c) =>
    seconds.observe(
      { command: c.command, collection: c.collection, outcome: c.ok ? 'ok' : 'error' },
      c.ms / 1000,
    );
}
