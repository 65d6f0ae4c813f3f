// A check run every so often, one run at a time: a tick that finds the last run still going skips.

/** Runs `check` every `intervalMs`; the function returned stops it and waits for a run under way. */
export function periodic(
  check: () => Promise<unknown>,
  intervalMs: number,
  onError: (err: Error) => void,
): () => Promise<void> {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = check()
      .catch((err: Error) => onError(err))
      .finally(() => (running = undefined));
  }, intervalMs);
  return async () => {
    clearInterval(timer);
    await running;
  };
}
