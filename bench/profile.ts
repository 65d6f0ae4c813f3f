// BENCH_CPU_PROFILE=<file>: a CPU profile of the bench's own process (the national node, the coordinator and the
// clients) over the end-to-end ingest run alone, for Chrome DevTools or any .cpuprofile reader. (node --cpu-prof
// covers the whole bench: key generation, the raw baselines, start-up.)
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Starts profiling when BENCH_CPU_PROFILE names a file; `stop` writes it there. */
export async function startProfile(): Promise<{ stop(): Promise<void> }> {
  const path = process.env.BENCH_CPU_PROFILE;
  if (!path) return { stop: async () => undefined };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(path, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
