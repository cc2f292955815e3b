// @ts-check
// One clock for the main thread and the processor workers (checked JavaScript: workers import it
// without a TypeScript loader).

/** Milliseconds since the epoch with sub-millisecond resolution, comparable between threads. */
export function nowMs() {
  return performance.timeOrigin + performance.now();
}
