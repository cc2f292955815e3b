// Picks the batch size and the maximum wait of the dynamic batching queue from online
// measurements, maximising throughput under a latency bound. docs/batching.md explains it.
import { median } from "./stats.ts";

export interface BatchPolicy {
  /** Rows per batch (requests of one row each: requests per batch). */
  maxBatch: number;
  /** How long the first request of a batch may wait for others. */
  maxWaitMs: number;
}

export interface TunerOptions {
  maxLatencyMs: number;
  /** Largest batch tried. */
  limit?: number;
  /** Full batches measured per size while exploring. */
  samples?: number;
  /** Batches between re-probes of the neighbouring sizes. */
  reprobeEvery?: number;
}

export interface TunerState { phase: "explore" | "exploit"; policy: BatchPolicy; serviceMs: Record<number, number>; throughput: Record<number, number> }

export class BatchTuner {
  private readonly service = new Map<number, number[]>();
  /** End-to-end latencies of the last 200 requests (reported, not used to decide). */
  readonly latencies: number[] = [];
  private phase: "explore" | "exploit" = "explore";
  private candidate = 1;
  private chosen = 1;
  private wait: number;
  private batchesSinceProbe = 0;
  private probing: number | undefined;
  private partialAtCandidate = 0;
  readonly maxLatencyMs: number;
  private readonly limit: number;
  private readonly samples: number;
  private readonly reprobeEvery: number;

  constructor(options: TunerOptions) {
    this.maxLatencyMs = options.maxLatencyMs;
    this.limit = options.limit ?? 64;
    this.samples = options.samples ?? 5;
    this.reprobeEvery = options.reprobeEvery ?? 200;
    this.wait = this.maxLatencyMs / 4;
  }

  /** What the queue should do now. */
  policy(): BatchPolicy {
    if (this.phase === "explore") return { maxBatch: this.candidate, maxWaitMs: this.wait };
    if (this.probing !== undefined) return { maxBatch: this.probing, maxWaitMs: this.wait };
    return { maxBatch: this.chosen, maxWaitMs: this.wait };
  }

  /** Median service time (ms) per measured batch size. */
  serviceTimes(): Map<number, number> {
    return new Map([...this.service].filter(([, s]) => s.length > 0).map(([b, s]) => [b, median(s)]));
  }

  state(): TunerState {
    const s = this.serviceTimes();
    return {
      phase: this.phase, policy: this.policy(),
      serviceMs: Object.fromEntries(s), throughput: Object.fromEntries([...s].map(([b, ms]) => [b, (1000 * b) / ms])),
    };
  }

  /** A finished batch: its rows, the time it spent running, and its requests' end-to-end latencies. */
  record(rows: number, serviceMs: number, latenciesMs: readonly number[]): void {
    const list = this.service.get(rows) ?? [];
    list.push(serviceMs);
    if (list.length > 50) list.shift(); // recent measurements only: the machine changes
    this.service.set(rows, list);
    this.latencies.push(...latenciesMs);
    if (this.latencies.length > 200) this.latencies.splice(0, this.latencies.length - 200);
    if (this.phase === "explore") this.explore(rows);
    else this.exploit(rows);
  }

  /** A batch of b rows can keep every request within the bound when wait + 2 service times fit. */
  private feasible(b: number, s = this.serviceTimes()): boolean {
    const ms = s.get(b);
    return ms !== undefined && 2 * ms <= this.maxLatencyMs;
  }

  private explore(rows: number): void {
    if (rows < this.candidate) {
      // Arrivals could not fill the candidate within the wait: larger batches cannot help.
      if (++this.partialAtCandidate >= this.samples) this.settle();
      return;
    }
    if ((this.service.get(this.candidate)?.length ?? 0) < this.samples) return;
    // Every feasible size is measured (a noisy dip at one size must not end the search early);
    // the first size whose service time breaks the bound ends it, as larger ones would too.
    const next = this.candidate * 2;
    if (!this.feasible(this.candidate) || next > this.limit) return this.settle();
    this.candidate = next;
    this.partialAtCandidate = 0;
  }

  private settle(): void {
    this.phase = "exploit";
    this.choose();
  }

  /** Best measured throughput among the feasible sizes; wait whatever the bound leaves. */
  private choose(): void {
    const s = this.serviceTimes();
    let best = 1;
    let bestT = -1;
    for (const [b, ms] of s) {
      if (!this.feasible(b, s)) continue;
      const t = b / ms;
      if (t > bestT) { best = b; bestT = t; }
    }
    this.chosen = best;
    const ms = s.get(best) ?? 0;
    // Waiting longer than one service time gains nothing: under load the next batch fills
    // while the current one runs; under light load a longer wait is pure latency.
    this.wait = Math.max(0, Math.min(ms, this.maxLatencyMs - 2 * ms));
  }

  private exploit(rows: number): void {
    if (this.probing !== undefined) {
      if (rows === this.probing && (this.service.get(rows)?.length ?? 0) >= this.samples) { this.probing = undefined; this.choose(); }
      else if (rows < this.probing && ++this.partialAtCandidate >= this.samples) { this.probing = undefined; this.choose(); }
      return;
    }
    // The chosen size's recent service time no longer fits the bound (the machine got busier):
    // step down at once. Request latencies are not the test: under saturating load they are
    // queueing time, which no batch size removes.
    const recent = this.service.get(this.chosen)?.slice(-this.samples) ?? [];
    if (recent.length >= this.samples && 2 * median(recent) > this.maxLatencyMs && this.chosen > 1) {
      this.service.delete(this.chosen);
      this.chosen = Math.max(1, this.chosen / 2);
      return;
    }
    if (++this.batchesSinceProbe < this.reprobeEvery) return;
    this.batchesSinceProbe = 0;
    this.partialAtCandidate = 0;
    const up = this.chosen * 2;
    const down = Math.max(1, this.chosen / 2);
    // Re-measure the neighbour whose data is older or missing.
    this.probing = up <= this.limit && !this.service.has(up) ? up : this.service.has(down) ? (up <= this.limit ? up : undefined) : down;
    if (this.probing !== undefined) this.service.set(this.probing, []);
  }
}
