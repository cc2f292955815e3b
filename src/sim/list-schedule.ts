// evaluate()'s event-driven list scheduling (simulator.ts) on a TimedGraph, for the makespan only,
// and incrementally. It makes the same decisions in the same order with the same floating-point
// operations as evaluate(), so the makespan is bit-for-bit evaluate()'s; the tests in
// test/sim/fast-eval.test.ts hold the two together. Change both or neither.
//
// Incremental evaluation. A baseline run (the current assignment) records checkpoints of the
// scheduler state every few rounds, when each task entered a ready queue, started and completed,
// and which task each pop chose over which. A trial (the same assignment with a few nodes changed)
// then starts from the last checkpoint before anything it changed could matter (the publish of the
// moved node's inputs, a changed node's start; priorities are upward ranks fixed per graph, so a
// move never reorders a recorded pop),
// and stops as soon as its state equals a baseline checkpoint shifted by a constant time: from
// there on, the trial is the baseline shifted, because every time sits on the simulator's grid
// (sim-graph.ts TIME_GRID_MS) where sums are exact and comparisons keep their outcome under a
// shift. Tasks are timed nodes 0..m-1 and, for a model output copied to the host without a copy
// engine, m + value index (as evaluate()'s n + value index).
import { EXACT_TIME_LIMIT_MS } from "./sim-graph.ts";
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

/** A growable typed array (checkpoint storage). */
class Grow<T extends Int32Array | Float64Array> {
  data: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) { this.data = make(1024); }
  push(x: number): void {
    if (this.length === this.data.length) { const next = this.make(this.data.length * 2); next.set(this.data); this.data = next as T; }
    this.data[this.length++] = x;
  }
}

const int32 = (n: number) => new Int32Array(n);
const float64 = (n: number) => new Float64Array(n);
/**
 * Rounds between checkpoints: 4, or more on graphs so large that copying the done bits (one bit
 * per task) every 4 rounds would dominate. Each checkpoint copies `words` words, so spacing them
 * words/16 rounds apart keeps that at about 16 words per round: without it a 100,000-node chain
 * copied 3,125 words every 4 rounds (quadratic: 31% of optimize's CPU at 50,000 nodes).
 * Spacing changes only where a trial may restart and rejoin, never what it computes.
 */
function checkpointSpacing(words: number): number {
  return Math.max(4, Math.ceil(words / 16));
}
const NEVER = 0x7fffffff;

/** What a trial changed relative to the baseline: timed nodes whose processor or time differ. */
export interface TrialChange {
  /** Timed nodes whose processor changed (the moved node), and whose time changed (fusion). */
  moved: ArrayLike<number>;
  movedCount: number;
  retimed: ArrayLike<number>;
  retimedCount: number;
}

export class ListScheduler {
  private readonly P: number;
  private readonly m: number;
  private readonly words: number;
  /** Rounds between checkpoints (`checkpointSpacing`). */
  private readonly every: number;
  /** -upward rank of each timed node (-Infinity for output copies, which go first): the ready queues' key. */
  private readonly negPriority: Float64Array;
  private readonly readyAt: Float64Array;
  private readonly endAt: Float64Array;
  private readonly arrival: Float64Array;
  private readonly arrivalStamp: Int32Array;
  private readonly linkFree: Float64Array;
  private readonly depsLeft: Int32Array;
  private readonly depsStamp: Int32Array;
  private readonly pendingStamp: Int32Array;
  private readonly done: Int32Array;
  private readonly runTask: Int32Array;
  private readonly runEnd: Float64Array;
  private readonly ready: TaskHeap[];
  private readonly waiting: TaskHeap[];
  private epoch = 0;
  private finish = 0;
  private doneCount = 0;
  private round = 0;
  private now = 0;

  // The baseline's record (valid while hasBaseline).
  private hasBaseline = false;
  private baselineMs = NaN;
  private baselineFinish = 0;
  private readonly baseAssign: Int32Array;
  private readonly startRound: Int32Array;
  private readonly completeRound: Int32Array;

  /** Per value: consumers not yet started (the value is live while > 0 after its publish). */
  private readonly consumersLeft: Int32Array;
  private readonly livePos: Int32Array;
  private readonly liveList: Int32Array;
  private liveCount = 0;
  private readonly roundContribution: Grow<Float64Array>;
  private readonly cp = {
    round: new Grow(int32), now: new Grow(float64), done: new Grow(int32), finish: new Grow(float64), finishAfter: new Grow(float64),
    pendStart: new Grow(int32), pendTask: new Grow(int32), pendReady: new Grow(float64),
    runTask: new Grow(int32), runEnd: new Grow(float64), link: new Grow(float64), bits: new Grow(int32),
    liveStart: new Grow(int32), liveValue: new Grow(int32), liveArrival: new Grow(float64),
  };
  private cpCount = 0;
  /** Checkpoints by done count: cpByDone[d] = first checkpoint with done count d, or -1. */
  private readonly cpByDone: Int32Array;

  private readonly watch: Uint8Array;
  private watchLeft = 0;

  /** Trials that stopped early at a checkpoint, and rounds simulated by trials (for the bench). */
  stats = { trials: 0, converged: 0, trialRounds: 0, baselineRounds: 0 };

  constructor(private readonly g: TimedGraph) {
    const P = (this.P = g.processors);
    const m = (this.m = g.m);
    const tasks = m + g.values;
    this.words = (tasks + 31) >> 5;
    this.every = checkpointSpacing(this.words);
    this.negPriority = new Float64Array(tasks).fill(-Infinity);
    for (let k = 0; k < m; k++) this.negPriority[k] = -g.rank[k]!;
    this.readyAt = new Float64Array(tasks);
    this.endAt = new Float64Array(tasks);
    this.arrival = new Float64Array(g.values * P);
    this.arrivalStamp = new Int32Array(g.values * P);
    this.linkFree = new Float64Array(P * P);
    this.depsLeft = new Int32Array(m);
    this.depsStamp = new Int32Array(m);
    this.pendingStamp = new Int32Array(tasks);
    this.done = new Int32Array(this.words);
    this.runTask = new Int32Array(P).fill(-1);
    this.runEnd = new Float64Array(P);
    this.ready = Array.from({ length: P }, () => new TaskHeap(tasks, this.negPriority));
    this.waiting = Array.from({ length: P }, () => new TaskHeap(tasks, this.readyAt));
    this.baseAssign = new Int32Array(m);
    this.startRound = new Int32Array(tasks);
    this.completeRound = new Int32Array(tasks);

    this.consumersLeft = new Int32Array(g.values);
    this.livePos = new Int32Array(g.values).fill(-1);
    this.liveList = new Int32Array(g.values);
    this.roundContribution = new Grow(float64);
    this.cpByDone = new Int32Array(m + 1).fill(-1);
    this.watch = new Uint8Array(m);
  }

  /** One inference's makespan (ms, with the run overhead) of a timed assignment and node times. */
  makespanMs(assign: Int32Array, dur: Float64Array): number {
    this.hasBaseline = false;
    return this.runFromStart(assign, dur, false);
  }

  /** makespanMs, recording what trials against this assignment need. */
  setBaseline(assign: Int32Array, dur: Float64Array): number {
    this.baseAssign.set(assign);
    const ms = this.runFromStart(assign, dur, true);
    this.hasBaseline = true;
    this.baselineMs = ms;
    return ms;
  }

  /** The makespan of the baseline with `change` applied (assign and dur already hold the trial's). */
  trialMs(assign: Int32Array, dur: Float64Array, change: TrialChange): number {
    if (!this.hasBaseline) throw new Error("ListScheduler: trial without a baseline");
    this.stats.trials++;
    // The earliest round whose start the trial may differ from: what it changed is first used then.
    let from = NEVER;
    this.watchLeft = 0;
    for (let j = 0; j < change.movedCount; j++) from = Math.min(from, this.firstUseOfMove(assign, change.moved[j]!));
    for (let j = 0; j < change.retimedCount; j++) from = Math.min(from, this.startRound[change.retimed[j]!]!);
    if (from === NEVER) return this.baselineMs;
    try {
      this.restore(assign, from);
      // The trial may rejoin the baseline only once every changed node (time or processor) is
      // done: from then on the tasks left are the baseline's.
      this.watchLeft = 0;
      for (let j = 0; j < change.movedCount; j++) this.watchNode(change.moved[j]!);
      for (let j = 0; j < change.retimedCount; j++) this.watchNode(change.retimed[j]!);
      return this.loop(assign, dur, false, true);
    } finally {
      if (this.watchLeft > 0) this.watch.fill(0);
      this.watchLeft = 0;
    }
  }

  /**
   * The first round whose start a moved node's new processor may change: the publish of an input
   * whose copy-engine destinations differ from the baseline's (every reader's processor counts,
   * so several moved readers of one value are judged together), else the node's release (its
   * last input's publish). A moved producer's own release comes before its outputs' publish.
   */
  private firstUseOfMove(assign: Int32Array, k: number): number {
    const g = this.g;
    const P = this.P;
    if (g.inStart[k + 1]! === g.inStart[k]!) return -1;
    let release = -1;
    let publish = NEVER;
    for (let i = g.inStart[k]!, ie = g.inStart[k + 1]!; i < ie; i++) {
      const v = g.inList[i]!;
      const p = g.producer[v]!;
      const at = p < 0 ? -1 : this.completeRound[p]!;
      release = Math.max(release, at);
      if (at >= publish) continue;
      const src = p < 0 ? g.host : assign[p]!;
      const srcBefore = p < 0 ? g.host : this.baseAssign[p]!;
      let now = g.isOutput[v] ? 1 << g.host : 0;
      let before = now;
      for (let c = g.consStart[v]!, ce = g.consStart[v + 1]!; c < ce; c++) { const r = g.consList[c]!; now |= 1 << assign[r]!; before |= 1 << this.baseAssign[r]!; }
      if (this.copiedTo(src, now) !== this.copiedTo(srcBefore, before)) publish = at;
    }
    return Math.min(publish, release);
  }

  /** The processors among `dests` (a bit set) a value made on `src` is sent to by a copy engine when published. */
  private copiedTo(src: number, dests: number): number {
    let sent = 0;
    for (let d = 0; d < this.P; d++) if (((dests >> d) & 1) === 1 && d !== src && this.g.copyEngine[src * this.P + d] === 1) sent |= 1 << d;
    return sent;
  }

  private watchNode(k: number): void {
    if (!this.watch[k] && !this.isDone(k)) { this.watch[k] = 1; this.watchLeft++; }
  }

  // ---- The simulation proper ----

  private arrivalAt(i: number): number {
    return this.arrivalStamp[i] === this.epoch ? this.arrival[i]! : Infinity;
  }

  private setArrival(i: number, t: number): void {
    this.arrival[i] = t;
    this.arrivalStamp[i] = this.epoch;
  }

  private sourceOf(assign: Int32Array, v: number): number {
    const p = this.g.producer[v]!;
    return p < 0 ? this.g.host : assign[p]!;
  }

  private isDone(t: number): boolean {
    return (this.done[t >> 5]! & (1 << (t & 31))) !== 0;
  }

  private newEpoch(): void {
    this.epoch++;
    if (this.epoch === 0x7fffffff) { this.epoch = 1; this.arrivalStamp.fill(0); this.depsStamp.fill(0); this.pendingStamp.fill(0); }
  }

  private runFromStart(assign: Int32Array, dur: Float64Array, record: boolean): number {
    this.startState(assign, record);
    return this.loop(assign, dur, record, false);
  }

  /** The state before the first round: model inputs published, nodes without producers released. */
  private startState(assign: Int32Array, record: boolean): void {
    const g = this.g;
    const P = this.P;
    this.newEpoch();
    this.linkFree.fill(0);
    this.runTask.fill(-1);
    this.done.fill(0);
    for (let p = 0; p < P; p++) { this.ready[p]!.size = 0; this.waiting[p]!.size = 0; }
    this.finish = 0;
    this.doneCount = 0;
    this.round = 0;
    this.now = 0;
    if (record) this.startRecording();
    for (let v = 0; v < g.values; v++) if (g.producer[v]! < 0) this.publish(assign, v, 0, record);
    for (let k = 0; k < this.m; k++) if (g.dependencies[k] === 0) this.releaseNode(assign, k, record);
  }

  /** The baseline's state at the start of round `from` (or the last checkpoint before it); -1: the start. */
  private restore(assign: Int32Array, from: number): void {
    if (from < 0) { this.startState(assign, false); return; }
    // The last checkpoint at or before `from`: checkpoints are every `this.every` rounds.
    const c = Math.min(this.cpCount - 1, Math.floor(from / this.every));
    const cp = this.cp;
    const P = this.P;
    this.newEpoch();
    this.now = cp.now.data[c]!;
    this.round = cp.round.data[c]!;
    this.finish = cp.finish.data[c]!;
    this.doneCount = cp.done.data[c]!;
    this.done.set(cp.bits.data.subarray(c * this.words, (c + 1) * this.words));
    this.linkFree.set(cp.link.data.subarray(c * P * P, (c + 1) * P * P));
    for (let p = 0; p < P; p++) {
      this.ready[p]!.size = 0;
      this.waiting[p]!.size = 0;
      const t = cp.runTask.data[c * P + p]!;
      this.runTask[p] = t;
      if (t >= 0) this.endAt[t] = this.runEnd[p] = cp.runEnd.data[c * P + p]!;
    }
    for (let j = cp.pendStart.data[c]!, je = cp.pendStart.data[c + 1]!; j < je; j++) {
      const t = cp.pendTask.data[j]!;
      this.readyAt[t] = cp.pendReady.data[j]!;
      this.pendingStamp[t] = this.epoch;
      this.waiting[t < this.m ? assign[t]! : this.g.host]!.push(t);
    }
    for (let j = cp.liveStart.data[c]!, je = cp.liveStart.data[c + 1]!; j < je; j++) {
      const v = cp.liveValue.data[j]!;
      for (let p = 0; p < P; p++) {
        const a = cp.liveArrival.data[j * P + p]!;
        if (a !== Infinity) this.setArrival(v * P + p, a);
      }
    }
  }

  private publish(assign: Int32Array, v: number, t: number, record: boolean): void {
    const g = this.g;
    const P = this.P;
    const src = this.sourceOf(assign, v);
    this.setArrival(v * P + src, t);
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
      this.setArrival(v * P + d, e);
    }
    if (output) {
      if (src === g.host || g.copyEngine[src * P + g.host]) {
        const a = this.arrivalAt(v * P + g.host);
        this.finish = Math.max(this.finish, a);
        if (record) this.contribute(a);
      } else this.release(g.m + v, g.host, t, record);
    }
    if (record && g.consStart[v + 1]! > g.consStart[v]!) {
      this.consumersLeft[v] = g.consStart[v + 1]! - g.consStart[v]!;
      this.livePos[v] = this.liveCount;
      this.liveList[this.liveCount++] = v;
    }
  }

  private release(task: number, p: number, at: number, record: boolean): void {
    this.readyAt[task] = at;
    this.pendingStamp[task] = this.epoch;
    // Ready now: it joins the ready queue before the next pop either way.
    if (at <= this.now) this.ready[p]!.push(task);
    else this.waiting[p]!.push(task);
  }

  private releaseNode(assign: Int32Array, k: number, record: boolean): void {
    const g = this.g;
    const P = this.P;
    const p = assign[k]!;
    let at = 0;
    for (let i = g.inStart[k]!, ie = g.inStart[k + 1]!; i < ie; i++) {
      const v = g.inList[i]!;
      const src = this.sourceOf(assign, v);
      // Synchronous copies happen when the node starts; it can start once the value exists at its source.
      const t = src === p || g.copyEngine[src * P + p] ? this.arrivalAt(v * P + p) : Math.min(this.arrivalAt(v * P + p), this.arrivalAt(v * P + src));
      at = Math.max(at, t);
    }
    this.release(k, p, at, record);
  }

  /** Producer values of k still to complete; initialised on first use in a run (x is completing). */
  private depsOf(k: number, x: number): number {
    if (this.depsStamp[k] === this.epoch) return this.depsLeft[k]!;
    const g = this.g;
    let left = 0;
    for (let i = g.inStart[k]!, ie = g.inStart[k + 1]!; i < ie; i++) {
      const p = g.producer[g.inList[i]!]!;
      if (p >= 0 && (p === x || !this.isDone(p))) left++;
    }
    this.depsStamp[k] = this.epoch;
    return (this.depsLeft[k] = left);
  }

  private contribute(t: number): void {
    const rc = this.roundContribution;
    while (rc.length <= this.round) rc.push(-Infinity);
    if (t > rc.data[this.round]!) rc.data[this.round] = t;
  }

  private startRecording(): void {
    this.stats.baselineRounds = 0;
    this.liveCount = 0;
    this.livePos.fill(-1);
    this.roundContribution.length = 0;
    this.cpByDone.fill(-1);
    this.cpCount = 0;
    for (const a of Object.values(this.cp)) a.length = 0;
  }

  private checkpoint(): void {
    const cp = this.cp;
    const P = this.P;
    const c = this.cpCount++;
    cp.round.push(this.round);
    cp.now.push(this.now);
    cp.done.push(this.doneCount);
    cp.finish.push(this.finish);
    if (this.cpByDone[this.doneCount] === -1) this.cpByDone[this.doneCount] = c;
    if (c === 0) { cp.pendStart.push(0); cp.liveStart.push(0); }
    for (let p = 0; p < P; p++) {
      const ready = this.ready[p]!;
      for (let j = 0; j < ready.size; j++) { const t = ready.items[j]!; cp.pendTask.push(t); cp.pendReady.push(this.readyAt[t]!); }
      const waiting = this.waiting[p]!;
      for (let j = 0; j < waiting.size; j++) { const t = waiting.items[j]!; cp.pendTask.push(t); cp.pendReady.push(this.readyAt[t]!); }
      cp.runTask.push(this.runTask[p]!);
      cp.runEnd.push(this.runTask[p]! >= 0 ? this.runEnd[p]! : 0);
    }
    cp.pendStart.push(cp.pendTask.length);
    for (let l = 0; l < P * P; l++) cp.link.push(this.linkFree[l]!);
    for (let w = 0; w < this.words; w++) cp.bits.push(this.done[w]!);
    for (let j = 0; j < this.liveCount; j++) {
      const v = this.liveList[j]!;
      cp.liveValue.push(v);
      for (let p = 0; p < P; p++) cp.liveArrival.push(this.arrivalAt(v * P + p));
    }
    cp.liveStart.push(cp.liveValue.length);
  }

  /** Whether the current state is checkpoint c's shifted by now - its now (see the file comment). */
  private matches(assign: Int32Array, c: number): boolean {
    const cp = this.cp;
    const P = this.P;
    const shift = this.now - cp.now.data[c]!;
    if (shift !== 0 && !(this.now < EXACT_TIME_LIMIT_MS / 2 && this.baselineFinish + shift < EXACT_TIME_LIMIT_MS / 2)) return false;
    for (let p = 0; p < P; p++) {
      const t = cp.runTask.data[c * P + p]!;
      if (this.runTask[p] !== t) return false;
      if (t >= 0 && this.runEnd[p] !== cp.runEnd.data[c * P + p]! + shift) return false;
    }
    let pending = 0;
    for (let p = 0; p < P; p++) pending += this.ready[p]!.size + this.waiting[p]!.size;
    const ps = cp.pendStart.data[c]!;
    const pe = cp.pendStart.data[c + 1]!;
    if (pending !== pe - ps) return false;
    const bits = cp.bits.data;
    for (let w = 0, o = c * this.words; w < this.words; w++) if (this.done[w] !== bits[o + w]) return false;
    for (let j = ps; j < pe; j++) {
      const t = cp.pendTask.data[j]!;
      if (this.pendingStamp[t] !== this.epoch || this.readyAt[t] !== cp.pendReady.data[j]! + shift) return false;
      // An output copy still to run copies from its producer's processor, which must be the baseline's.
      if (t >= this.m && this.movedProducer(assign, t - this.m)) return false;
    }
    for (let l = 0; l < P * P; l++) {
      const base = cp.link.data[c * P * P + l]!;
      const mine = this.linkFree[l]!;
      if (mine !== base + shift && !(mine <= this.now && base <= cp.now.data[c]!)) return false;
    }
    for (let j = cp.liveStart.data[c]!, je = cp.liveStart.data[c + 1]!; j < je; j++) {
      const v = cp.liveValue.data[j]!;
      // Its readers still to start may copy it from its source: that must be the baseline's.
      if (this.movedProducer(assign, v)) return false;
      for (let p = 0; p < P; p++) {
        const base = cp.liveArrival.data[j * P + p]!;
        if (this.arrivalAt(v * P + p) !== base + shift) return false;
      }
    }
    return true;
  }

  private movedProducer(assign: Int32Array, v: number): boolean {
    const p = this.g.producer[v]!;
    return p >= 0 && assign[p] !== this.baseAssign[p];
  }

  private loop(assign: Int32Array, dur: Float64Array, record: boolean, trial: boolean): number {
    const g = this.g;
    const P = this.P;
    const m = this.m;
    const host = g.host;
    const endAt = this.endAt;
    const runTask = this.runTask;
    const runEnd = this.runEnd;
    for (;;) {
      if (record) {
        if (this.round % this.every === 0) this.checkpoint();
        this.stats.baselineRounds++;
      } else if (trial) {
        this.stats.trialRounds++;
        if (this.watchLeft === 0) {
          const c = this.cpByDone[this.doneCount]!;
          if (c >= 0) {
            for (let k = c; k < this.cpCount && this.cp.done.data[k] === this.doneCount; k++) {
              if (this.matches(assign, k)) {
                this.stats.converged++;
                const shift = this.now - this.cp.now.data[k]!;
                return Math.max(this.finish, this.cp.finishAfter.data[k]! + shift) + g.runOverheadMs;
              }
            }
          }
        }
      }
      let busy = false;
      for (let p = 0; p < P; p++) if (runTask[p]! >= 0 || this.ready[p]!.size > 0 || this.waiting[p]!.size > 0) busy = true;
      if (this.doneCount >= m && !busy) break;
      for (let p = 0; p < P; p++) {
        const wait = this.waiting[p]!;
        const ready = this.ready[p]!;
        while (wait.size > 0 && this.readyAt[wait.peek()]! <= this.now) ready.push(wait.pop());
        if (runTask[p]! >= 0 || ready.size === 0) continue;
        const t = ready.pop();
        this.pendingStamp[t] = 0;
        if (record) this.startRound[t] = this.round;
        let cursor = this.now;
        if (t < m) {
          for (let i = g.inStart[t]!, ie = g.inStart[t + 1]!; i < ie; i++) {
            const v = g.inList[i]!;
            if (record && --this.consumersLeft[v]! === 0) {
              // The value's last reader started: it is no longer live.
              const pos = this.livePos[v]!;
              const last = this.liveList[--this.liveCount]!;
              this.liveList[pos] = last;
              this.livePos[last] = pos;
              this.livePos[v] = -1;
            }
            if (this.arrivalAt(v * P + p) <= cursor) continue;
            const e = cursor + g.transferMs[(v * P + this.sourceOf(assign, v)) * P + p]!;
            this.setArrival(v * P + p, e);
            cursor = e;
          }
          endAt[t] = cursor + dur[t]!;
        } else {
          const v = t - m;
          endAt[t] = cursor + g.transferMs[(v * P + this.sourceOf(assign, v)) * P + p]!;
        }
        runTask[p] = t;
        runEnd[p] = endAt[t]!;
      }
      // Next event: a completion, or a released task on an idle processor becoming ready.
      let next = Infinity;
      for (let p = 0; p < P; p++) {
        if (runTask[p]! >= 0) next = Math.min(next, runEnd[p]!);
        else if (this.waiting[p]!.size > 0) next = Math.min(next, this.readyAt[this.waiting[p]!.peek()]!);
      }
      if (next === Infinity) break;
      this.now = next;
      // Completions at `now`, in (end, task) order as evaluate()'s running heap pops them.
      for (;;) {
        let p = -1;
        for (let q = 0; q < P; q++) {
          const t = runTask[q]!;
          if (t < 0 || runEnd[q]! > this.now) continue;
          if (p < 0 || runEnd[q]! < runEnd[p]! || (runEnd[q] === runEnd[p] && t < runTask[p]!)) p = q;
        }
        if (p < 0) break;
        const t = runTask[p]!;
        const e = runEnd[p]!;
        runTask[p] = -1;
        this.finish = Math.max(this.finish, e);
        if (record) { this.contribute(e); this.completeRound[t] = this.round; }
        if (t >= m) continue;
        this.doneCount++;
        this.done[t >> 5]! |= 1 << (t & 31);
        if (trial && this.watch[t]) { this.watch[t] = 0; this.watchLeft--; }
        for (let o = g.outStart[t]!, oe = g.outStart[t + 1]!; o < oe; o++) this.publish(assign, g.outList[o]!, e, record);
        for (let o = g.outStart[t]!, oe = g.outStart[t + 1]!; o < oe; o++) {
          const v = g.outList[o]!;
          for (let c = g.consStart[v]!, ce = g.consStart[v + 1]!; c < ce; c++) {
            const consumer = g.consList[c]!;
            const left = this.depsOf(consumer, t) - 1;
            this.depsLeft[consumer] = left;
            if (left === 0) this.releaseNode(assign, consumer, record);
          }
        }
      }
      this.round++;
    }
    if (this.doneCount < m) throw new Error(`simulation stalled with ${m - this.doneCount} nodes unscheduled (a node reads a value nothing produces)`);
    if (record) this.finishRecording();
    return this.finish + g.runOverheadMs;
  }

  private finishRecording(): void {
    const cp = this.cp;
    const rc = this.roundContribution;
    while (rc.length <= this.round) rc.push(-Infinity);
    // finishAfter[c]: the largest finish contribution from checkpoint c's round on.
    const after = new Float64Array(rc.length + 1).fill(-Infinity);
    for (let r = rc.length - 1; r >= 0; r--) after[r] = Math.max(after[r + 1]!, rc.data[r]!);
    for (let c = 0; c < this.cpCount; c++) cp.finishAfter.push(after[cp.round.data[c]!]!);
    this.baselineFinish = this.finish;
  }
}
