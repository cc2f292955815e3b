// A Chrome trace (chrome://tracing, ui.perfetto.dev): one track per device worker with its
// partition runs, and async tracks for transfers, the batching queue and whole requests
// (those overlap one another, so they are async events rather than complete events).
import { writeAtomic } from "../io/output.ts";

interface TraceEvent {
  name: string; cat: string; ph: "X" | "b" | "e" | "M" | "i"; ts: number; pid: number; tid: number;
  dur?: number; id?: number; s?: "t" | "p" | "g"; args?: Record<string, unknown>;
}

export class TraceRecorder {
  private readonly events: TraceEvent[] = [];
  private readonly tracks = new Map<string, number>();
  private nextId = 1;
  /** Trace times are microseconds from this origin (ms since the epoch). */
  private readonly origin = performance.timeOrigin + performance.now();

  /** A named thread track (device workers, the main thread). */
  track(name: string): number {
    let tid = this.tracks.get(name);
    if (tid === undefined) {
      tid = this.tracks.size + 1;
      this.tracks.set(name, tid);
      this.events.push({ name: "thread_name", cat: "__metadata", ph: "M", ts: 0, pid: 1, tid, args: { name } });
      this.events.push({ name: "thread_sort_index", cat: "__metadata", ph: "M", ts: 0, pid: 1, tid, args: { sort_index: tid } });
    }
    return tid;
  }

  private us(ms: number): number {
    return Math.max(0, (ms - this.origin) * 1000);
  }

  /** A span on a thread track; spans on one track must not overlap. */
  span(track: string, name: string, startMs: number, endMs: number, args?: Record<string, unknown>): void {
    this.events.push({ name, cat: "run", ph: "X", ts: this.us(startMs), dur: Math.max(0, (endMs - startMs) * 1000), pid: 1, tid: this.track(track), args });
  }

  /** A span on an async track (category `cat`); these may overlap. */
  async(cat: "transfer" | "queue" | "request", name: string, startMs: number, endMs: number, args?: Record<string, unknown>): void {
    const id = this.nextId++;
    const tid = this.track("main thread");
    this.events.push({ name, cat, ph: "b", ts: this.us(startMs), pid: 1, tid, id, args });
    this.events.push({ name, cat, ph: "e", ts: this.us(endMs), pid: 1, tid, id });
  }

  get size(): number {
    return this.events.length;
  }

  toJSON(): { traceEvents: TraceEvent[]; displayTimeUnit: "ms" } {
    return { traceEvents: this.events, displayTimeUnit: "ms" };
  }

  write(path: string): void {
    writeAtomic(path, JSON.stringify(this.toJSON()));
  }
}
