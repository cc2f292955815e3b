// evaluate()'s event-driven list scheduling (simulator.ts) on a TimedGraph, for the makespan only:
// typed arrays, preallocated queues, no allocation per run. It makes the same decisions in the same
// order with the same floating-point operations, so the makespan is bit-for-bit evaluate()'s; the
// tests in test/sim/fast-eval.test.ts hold the two together. Change both or neither.
import type { TimedGraph } from "./timed-graph.ts";

/** A binary min-heap of task ids ordered by (key[id], id): the simulator's queues. */
class TaskHeap {
  readonly items: Int32Array;
  size = 0;

  constructor(capacity: number, private readonly key: Float64Array) {
    this.items = new Int32Array(Math.max(1, capacity));
  }

  peek(): number { return this.items[0]!; }

  push(x: number): void {
    const a = this.items;
    const key = this.key;
    const kx = key[x]!;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const y = a[parent]!;
      const ky = key[y]!;
      if (!(kx < ky || (kx === ky && x < y))) break;
      a[i] = y;
      i = parent;
    }
    a[i] = x;
  }

  pop(): number {
    const a = this.items;
    const key = this.key;
    const top = a[0]!;
    const size = --this.size;
    if (size > 0) {
      const last = a[size]!;
      const kl = key[last]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        let c = l;
        let kc = key[a[l]!]!;
        const r = l + 1;
        if (r < size) {
          const kr = key[a[r]!]!;
          if (kr < kc || (kr === kc && a[r]! < a[l]!)) { c = r; kc = kr; }
        }
        const y = a[c]!;
        if (!(kc < kl || (kc === kl && y < last))) break;
        a[i] = y;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/**
 * Makespans of assignments of one TimedGraph. Tasks are timed nodes 0..m-1 and, for model outputs
 * copied to the host without a copy engine, m + value index (as evaluate()'s n + value index).
 */
export class ListScheduler {
  private readonly level: Float64Array;
  /** -bottom level: the ready queues pop the largest priority first. */
  private readonly negPriority: Float64Array;
  private readonly readyAt: Float64Array;
  private readonly endAt: Float64Array;
  private readonly arrival: Float64Array;
  private readonly linkFree: Float64Array;
  private readonly depsLeft: Int32Array;
  private readonly idle: Uint8Array;
  private readonly ready: TaskHeap[];
  private readonly waiting: TaskHeap[];
  private readonly running: TaskHeap;
  private finish = 0;

  constructor(private readonly g: TimedGraph) {
    const tasks = g.m + g.values;
    this.level = new Float64Array(g.m);
    this.negPriority = new Float64Array(tasks).fill(-Infinity);
    this.readyAt = new Float64Array(tasks);
    this.endAt = new Float64Array(tasks);
    this.arrival = new Float64Array(g.values * g.processors);
    this.linkFree = new Float64Array(g.processors * g.processors);
    this.depsLeft = new Int32Array(g.m);
    this.idle = new Uint8Array(g.processors);
    this.ready = Array.from({ length: g.processors }, () => new TaskHeap(tasks, this.negPriority));
    this.waiting = Array.from({ length: g.processors }, () => new TaskHeap(tasks, this.readyAt));
    this.running = new TaskHeap(g.processors, this.endAt);
  }

  /** Bottom levels (node time plus the longest path with transfers to the end), as evaluate()'s. */
  private bottomLevels(assign: Int32Array, dur: Float64Array): void {
    const g = this.g;
    const P = g.processors;
    const host = g.host;
    const level = this.level;
    for (let k = g.m - 1; k >= 0; k--) {
      const src = assign[k]!;
      let tail = 0;
      for (let o = g.outStart[k]!, oe = g.outStart[k + 1]!; o < oe; o++) {
        const v = g.outList[o]!;
        const row = (v * P + src) * P;
        for (let c = g.consStart[v]!, ce = g.consStart[v + 1]!; c < ce; c++) {
          const consumer = g.consList[c]!;
          const d = assign[consumer]!;
          tail = Math.max(tail, (d === src ? 0 : g.transferMs[row + d]!) + level[consumer]!);
        }
        if (g.isOutput[v]) tail = Math.max(tail, src === host ? 0 : g.transferMs[row + host]!);
      }
      level[k] = dur[k]! + tail;
      this.negPriority[k] = -level[k]!;
    }
  }

  private sourceOf(assign: Int32Array, v: number): number {
    const p = this.g.producer[v]!;
    return p < 0 ? this.g.host : assign[p]!;
  }

  /** A value exists on its source at `t`: copy-engine links start copying it to its readers. */
  private publish(assign: Int32Array, v: number, t: number): void {
    const g = this.g;
    const P = g.processors;
    const src = this.sourceOf(assign, v);
    const arrival = this.arrival;
    arrival[v * P + src] = t;
    let dests = 0;
    for (let c = g.consStart[v]!, ce = g.consStart[v + 1]!; c < ce; c++) dests |= 1 << assign[g.consList[c]!]!;
    const output = g.isOutput[v] === 1;
    if (output) dests |= 1 << g.host;
    for (let d = 0; d < P; d++) {
      if (!((dests >> d) & 1) || d === src || !g.copyEngine[src * P + d]) continue;
      const link = src * P + d;
      const s = Math.max(t, this.linkFree[link]!);
      const e = s + g.transferMs[(v * P + src) * P + d]!;
      this.linkFree[link] = e;
      arrival[v * P + d] = e;
    }
    if (output) {
      if (src === g.host || g.copyEngine[src * P + g.host]) this.finish = Math.max(this.finish, arrival[v * P + g.host]!);
      else this.release(g.m + v, g.host, t);
    }
  }

  private release(task: number, p: number, at: number): void {
    this.readyAt[task] = at;
    this.waiting[p]!.push(task);
  }

  private releaseNode(assign: Int32Array, k: number): void {
    const g = this.g;
    const P = g.processors;
    const p = assign[k]!;
    const arrival = this.arrival;
    let at = 0;
    for (let i = g.inStart[k]!, ie = g.inStart[k + 1]!; i < ie; i++) {
      const v = g.inList[i]!;
      const src = this.sourceOf(assign, v);
      // Synchronous copies happen when the node starts; it can start once the value exists at its source.
      const t = src === p || g.copyEngine[src * P + p] ? arrival[v * P + p]! : Math.min(arrival[v * P + p]!, arrival[v * P + src]!);
      at = Math.max(at, t);
    }
    this.release(k, p, at);
  }

  /** One inference's makespan (ms, with the run overhead) for timed assignment and durations. */
  makespanMs(assign: Int32Array, dur: Float64Array): number {
    const g = this.g;
    const P = g.processors;
    const m = g.m;
    const host = g.host;
    this.bottomLevels(assign, dur);
    this.arrival.fill(Infinity);
    this.linkFree.fill(0);
    this.idle.fill(1);
    this.depsLeft.set(g.dependencies);
    for (let p = 0; p < P; p++) { this.ready[p]!.size = 0; this.waiting[p]!.size = 0; }
    const running = this.running;
    running.size = 0;
    this.finish = 0;
    const arrival = this.arrival;
    const endAt = this.endAt;

    for (let v = 0; v < g.values; v++) if (g.producer[v]! < 0) this.publish(assign, v, 0);
    for (let k = 0; k < m; k++) if (g.dependencies[k] === 0) this.releaseNode(assign, k);

    let now = 0;
    let done = 0;
    for (;;) {
      if (done >= m && running.size === 0) {
        let queued = false;
        for (let p = 0; p < P; p++) if (this.waiting[p]!.size > 0 || this.ready[p]!.size > 0) queued = true;
        if (!queued) break;
      }
      for (let p = 0; p < P; p++) {
        const wait = this.waiting[p]!;
        const ready = this.ready[p]!;
        while (wait.size > 0 && this.readyAt[wait.peek()]! <= now) ready.push(wait.pop());
        if (!this.idle[p] || ready.size === 0) continue;
        const t = ready.pop();
        let cursor = now;
        if (t < m) {
          for (let i = g.inStart[t]!, ie = g.inStart[t + 1]!; i < ie; i++) {
            const v = g.inList[i]!;
            if (arrival[v * P + p]! <= cursor) continue;
            const e = cursor + g.transferMs[(v * P + this.sourceOf(assign, v)) * P + p]!;
            arrival[v * P + p] = e;
            cursor = e;
          }
          endAt[t] = cursor + dur[t]!;
        } else {
          const v = t - m;
          endAt[t] = cursor + g.transferMs[(v * P + this.sourceOf(assign, v)) * P + p]!;
        }
        this.idle[p] = 0;
        running.push(t);
      }
      // Next event: a completion, or a released task on an idle processor becoming ready.
      let next = running.size > 0 ? endAt[running.peek()]! : Infinity;
      for (let p = 0; p < P; p++) if (this.idle[p] && this.waiting[p]!.size > 0) next = Math.min(next, this.readyAt[this.waiting[p]!.peek()]!);
      if (next === Infinity) break;
      now = next;
      while (running.size > 0 && endAt[running.peek()]! <= now) {
        const t = running.pop();
        const e = endAt[t]!;
        this.idle[t < m ? assign[t]! : host] = 1;
        this.finish = Math.max(this.finish, e);
        if (t >= m) continue;
        done++;
        for (let o = g.outStart[t]!, oe = g.outStart[t + 1]!; o < oe; o++) this.publish(assign, g.outList[o]!, e);
        for (let o = g.outStart[t]!, oe = g.outStart[t + 1]!; o < oe; o++) {
          const v = g.outList[o]!;
          for (let c = g.consStart[v]!, ce = g.consStart[v + 1]!; c < ce; c++) {
            const consumer = g.consList[c]!;
            if (--this.depsLeft[consumer]! === 0) this.releaseNode(assign, consumer);
          }
        }
      }
    }
    if (done < m) throw new Error(`simulation stalled with ${m - done} nodes unscheduled (a node reads a value nothing produces)`);
    return this.finish + g.runOverheadMs;
  }
}
