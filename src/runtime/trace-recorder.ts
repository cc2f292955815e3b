// A Chrome trace (chrome://tracing, ui.perfetto.dev) of the runtime: one track per processor worker
// with its partition runs, and async tracks for transfers, the batching queue and whole requests
// (those overlap one another, so they are async events rather than complete events). The format
// is written by src/io/chrome-trace.ts.
import { writeAtomic } from "../io/output.ts";
import { ChromeTrace, type ChromeTraceJson, type TraceArgs } from "../io/chrome-trace.ts";

export class TraceRecorder {
  private readonly trace = new ChromeTrace();
  /** Trace times are microseconds from this origin (ms since the epoch). */
  private readonly origin = performance.timeOrigin + performance.now();

  /** A named thread track (processor workers, the main thread). */
  track(name: string): number {
    return this.trace.track(name, { sortIndex: true });
  }

  private us(ms: number): number {
    return Math.max(0, (ms - this.origin) * 1000);
  }

  /** A span on a thread track; spans on one track must not overlap. */
  span(track: string, name: string, startMs: number, endMs: number, args?: TraceArgs): void {
    this.trace.complete(this.track(track), name, "run", this.us(startMs), Math.max(0, (endMs - startMs) * 1000), args);
  }

  /** A span on an async track (category `cat`); these may overlap. */
  async(cat: "transfer" | "queue" | "request", name: string, startMs: number, endMs: number, args?: TraceArgs): void {
    this.trace.asyncSpan(this.track("main thread"), name, cat, this.us(startMs), this.us(endMs), args);
  }

  get size(): number {
    return this.trace.events.length;
  }

  toJSON(): ChromeTraceJson {
    return this.trace.toJSON();
  }

  write(path: string): void {
    writeAtomic(path, JSON.stringify(this.toJSON()));
  }
}
