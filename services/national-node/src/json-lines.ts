// The node's JSON-lines files (what the coordinator sent, the requests log, the normalisations of each version): read
// whole at start, appended to as things happen.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Each entry of the JSON-lines `file`, in order (none when it does not exist yet; its folder is made then). A line
 * that does not parse is passed over: the last one, torn by a crash while it was written, was never acknowledged.
 * Such a line is ended here, so that the next append starts a line of its own instead of being lost with it.
 */
export function readJsonLines<T>(file: string, each: (entry: T) => void): void {
  mkdirSync(dirname(file), { recursive: true });
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let entry: T;
    try {
      entry = JSON.parse(line) as T;
    } catch {
      continue;
    }
    each(entry);
  }
  if (text && !text.endsWith('\n')) appendFileSync(file, '\n');
}
