// The Chrome trace format (JSON Object Format; open in https://ui.perfetto.dev or
// chrome://tracing): named thread tracks, complete spans on them, async spans that may overlap.
// One writer for both traces sparoa makes: the runtime's (src/runtime/trace-recorder.ts, measured) and
// the simulator's (src/sim/plan-trace.ts, predicted). Times are microseconds.

export type TraceArgs = Record<string, unknown>;

export interface TraceEvent {
  name: string;
  cat?: string;
  ph: "X" | "b" | "e" | "M" | "i";
  ts: number;
  pid: number;
  tid: number;
  dur?: number;
  id?: number;
  s?: "t" | "p" | "g";
  args?: TraceArgs;
}

export interface ChromeTraceJson {
  traceEvents: TraceEvent[];
  displayTimeUnit: "ms";
  otherData?: Record<string, string | number>;
}

const PID = 1;

export class ChromeTrace {
  readonly events: TraceEvent[] = [];
  private readonly tracks = new Map<string, number>();
  private nextAsyncId = 1;

  /** Names the (single) process: what the trace shows. */
  processName(name: string): void {
    this.events.push({ name: "process_name", ph: "M", ts: 0, pid: PID, tid: 0, args: { name } });
  }

  /**
   * The thread id of the track `name`, made on first use (numbered from 1 unless `tid` is given);
   * `sortIndex` also orders tracks by their id in the viewer.
   */
  track(name: string, options: { tid?: number; sortIndex?: boolean } = {}): number {
    let tid = this.tracks.get(name);
    if (tid === undefined) {
      tid = options.tid ?? this.tracks.size + 1;
      this.tracks.set(name, tid);
      this.events.push({ name: "thread_name", ph: "M", ts: 0, pid: PID, tid, args: { name } });
      if (options.sortIndex) this.events.push({ name: "thread_sort_index", ph: "M", ts: 0, pid: PID, tid, args: { sort_index: tid } });
    }
    return tid;
  }

  hasTrack(name: string): boolean {
    return this.tracks.has(name);
  }

  get trackCount(): number {
    return this.tracks.size;
  }

  /** A span on a thread track; spans on one track must not overlap. */
  complete(tid: number, name: string, cat: string, tsUs: number, durUs: number, args?: TraceArgs): void {
    this.events.push({ name, cat, ph: "X", ts: tsUs, dur: durUs, pid: PID, tid, args });
  }

  /** A span on an async track (category `cat`): such spans may overlap one another. */
  asyncSpan(tid: number, name: string, cat: string, startUs: number, endUs: number, args?: TraceArgs): void {
    const id = this.nextAsyncId++;
    this.events.push({ name, cat, ph: "b", ts: startUs, pid: PID, tid, id, args });
    this.events.push({ name, cat, ph: "e", ts: endUs, pid: PID, tid, id });
  }

  toJSON(otherData?: Record<string, string | number>): ChromeTraceJson {
    return { traceEvents: this.events, displayTimeUnit: "ms", ...(otherData ? { otherData } : {}) };
  }
}
