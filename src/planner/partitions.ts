// How the partition pass cuts a processor assignment into single-processor partitions, on plain
// arrays so the planner can count a plan's partitions (each costs a runtime call) without
// the IR: step 1, processor-batched topological segments; step 2, cycle- and delay-checked
// contraction. passes/partition.ts explains the rules and applies them to a graph.
import { Heap } from "../../ir/heap.ts";

/**
 * Step 1: partition index per node from a processor-batched Kahn order (see the header). Also an
 * upper bound on the partition count that placement's threshold search uses (linear time).
 */
export function processorBatchedSegments<D extends string | number>(processor: ArrayLike<D>, preds: readonly (readonly number[])[]): number[] {
  const n = processor.length;
  const succ: number[][] = Array.from({ length: n }, () => []);
  const pending = preds.map((p) => p.length);
  preds.forEach((ps, i) => ps.forEach((p) => succ[p]!.push(i)));
  const ready = new Map<D, Heap<number>>();
  const queue = (d: D) => { let q = ready.get(d); if (!q) ready.set(d, (q = smallestFirst())); return q; };
  pending.forEach((c, i) => { if (c === 0) queue(processor[i]!).push(i); });
  const segment = new Array<number>(n).fill(-1);
  let current: D | undefined;
  let seg = -1;
  let handedOff = false;
  for (let placed = 0; placed < n; placed++) {
    if (current === undefined || queue(current).size === 0) {
      let bestProcessor: D | undefined;
      for (const [d, q] of ready) if (q.size > 0 && (bestProcessor === undefined || q.peek()! < queue(bestProcessor).peek()!)) bestProcessor = d;
      if (bestProcessor === undefined) throw new Error("the graph has a cycle"); // topologicalOrder would have thrown first
      current = bestProcessor;
      seg++;
    } else if (handedOff) {
      seg++; // another processor reads what this segment made: more work here would keep it waiting
    }
    handedOff = false;
    const i = queue(current).pop()!;
    segment[i] = seg;
    for (const s of succ[i]!) {
      if (--pending[s]! > 0) continue;
      const q = queue(processor[s]!);
      // Another processor that was waiting gets work from this node: cut here so it can start.
      if (processor[s] !== current && q.size === 0) handedOff = true;
      q.push(s);
    }
  }
  return segment;
}

/** Step 2: merge same-processor partitions while no path of length >= 2 joins them; renumber topologically. */
export function contractSegments<D extends string | number>(initial: readonly number[], processor: ArrayLike<D>, preds: readonly (readonly number[])[]): number[] {
  let part = [...initial];
  for (;;) {
    const count = part.length === 0 ? 0 : Math.max(...part) + 1;
    const partProcessor = new Array<D>(count);
    part.forEach((p, i) => { partProcessor[p] = processor[i]!; });
    const succ = Array.from({ length: count }, () => new Set<number>());
    preds.forEach((ps, i) => ps.forEach((p) => { if (part[p] !== part[i]) succ[part[p]!]!.add(part[i]!); }));
    const topo = kahn(count, succ);
    const words = (count + 31) >>> 5;
    // reach[p]: partitions reachable from p by one or more edges; via[p]: by two or more.
    const reach = Array.from({ length: count }, () => new Uint32Array(words));
    const via = Array.from({ length: count }, () => new Uint32Array(words));
    for (let k = topo.length - 1; k >= 0; k--) {
      const p = topo[k]!;
      for (const s of succ[p]!) {
        const r = reach[p]!, rs = reach[s]!, v = via[p]!;
        for (let w = 0; w < words; w++) { r[w]! |= rs[w]!; v[w]! |= rs[w]!; }
        r[s >>> 5]! |= 1 << (s & 31);
      }
    }
    const predParts = Array.from({ length: count }, () => [] as number[]);
    succ.forEach((ss, r) => ss.forEach((t) => predParts[t]!.push(r)));
    const reaches = (from: number, to: number) => ((reach[from]![to >>> 5]! >>> (to & 31)) & 1) === 1;
    let pair: [number, number] | undefined;
    search: for (let a = 0; a < topo.length; a++) {
      for (let b = a + 1; b < topo.length; b++) {
        const p = topo[a]!, q = topo[b]!;
        if (partProcessor[p] !== partProcessor[q]) continue;
        if ((via[p]![q >>> 5]! >>> (q & 31)) & 1) continue;
        // No delay: every other partition q reads from must be done before p can start anyway,
        // else the merged partition would hold p back until that (other processor's) work is done
        // and run p after it instead of beside it; and every other reader of p must wait for q
        // anyway, else it would wait for q's work too.
        if (!predParts[q]!.every((r) => r === p || reaches(r, p))) continue;
        if (![...succ[p]!].every((r) => r === q || reaches(q, r))) continue;
        pair = [p, q];
        break search;
      }
    }
    if (!pair) {
      const rank = new Array<number>(count);
      topo.forEach((p, i) => { rank[p] = i; });
      return part.map((p) => rank[p]!);
    }
    const [keep, gone] = pair;
    part = part.map((p) => (p === gone ? keep : p)).map((p) => (p > gone ? p - 1 : p));
  }
}

/** Topological order of a small DAG given as successor sets; ties broken by lowest index. */
function kahn(count: number, succ: readonly Set<number>[]): number[] {
  const indeg = new Array<number>(count).fill(0);
  succ.forEach((s) => s.forEach((t) => { indeg[t]!++; }));
  const q = smallestFirst();
  indeg.forEach((d, i) => { if (d === 0) q.push(i); });
  const out: number[] = [];
  while (q.size > 0) {
    const p = q.pop()!;
    out.push(p);
    for (const t of succ[p]!) if (--indeg[t]! === 0) q.push(t);
  }
  if (out.length !== count) throw new Error("internal error: the partition graph has a cycle");
  return out;
}

function smallestFirst(): Heap<number> {
  return new Heap<number>((a, b) => a < b);
}

/** Steps of the processor-batched order between the baseline's checkpoints (IncrementalSegmentCounter). */
const SEGMENT_CHECKPOINT_EVERY = 8;

/**
 * processorBatchedSegments for processor indices 0..P-1, with the successor lists and heaps built
 * once: searches count the segments of thousands of plans over the same graph. For single-node
 * moves, `setBaseline` + `moveCount` count incrementally: the processor-batched order is the
 * baseline's until the moved node enters a ready queue (its processor is read then, never before),
 * so a trial starts from the baseline's last checkpoint before that step; and once the trial has
 * placed the moved node and has placed exactly the nodes the baseline had at a checkpoint, with
 * the same current processor and hand-off flag, the ready queues hold the same nodes too (a node is
 * ready when its producers are placed), so the rest of the order is the baseline's and so is
 * the number of segments it still starts.
 */
export class SegmentCounter {
  private readonly n: number;
  private readonly succStart: Int32Array;
  private readonly succ: Int32Array;
  private readonly predStart: Int32Array;
  private readonly pred: Int32Array;
  private readonly indegree: Int32Array;
  private readonly pending: Int32Array;
  private readonly heaps: Int32Array[];
  private readonly sizes: Int32Array;
  private readonly segment: number[];

  // The run's state (shared by full runs and trials).
  private readonly words: number;
  private readonly placed: Int32Array;
  private readonly pendingStamp: Int32Array;
  private epoch = 0;
  private current = -1;
  private seg = -1;
  private handedOff = false;

  // The baseline (valid while hasBaseline).
  private hasBaseline = false;
  private baseTotal = 0;
  private readonly baseProcessor: Int32Array;
  /** Step (nodes placed before it) whose placement pushed the node into a ready queue; -1: ready at the start. */
  private readonly pushStep: Int32Array;
  private readonly cpCurrent: number[] = [];
  private readonly cpSeg: number[] = [];
  private readonly cpHandedOff: number[] = [];
  private cpPlaced = new Int32Array(0);
  /** Ready queue contents per checkpoint and processor: cpQueue[cpQueueStart[c * P + d] ..]. */
  private cpQueueStart: number[] = [];
  private cpQueue: number[] = [];
  /** Scratch: the moved nodes of a trial. */
  private readonly moved: Int32Array;
  private readonly one = new Int32Array(1);
  /** Trials run, and steps they replayed (for the bench). */
  readonly stats = { trials: 0, steps: 0 };

  constructor(preds: readonly (readonly number[])[], private readonly processors: number) {
    const n = (this.n = preds.length);
    this.indegree = Int32Array.from(preds, (p) => p.length);
    const outCount = new Int32Array(n);
    for (const ps of preds) for (const p of ps) outCount[p]!++;
    this.succStart = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) this.succStart[i + 1] = this.succStart[i]! + outCount[i]!;
    this.succ = new Int32Array(this.succStart[n]!);
    const fill = this.succStart.slice(0, n);
    preds.forEach((ps, i) => { for (const p of ps) this.succ[fill[p]!++] = i; });
    this.predStart = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) this.predStart[i + 1] = this.predStart[i]! + preds[i]!.length;
    this.pred = Int32Array.from(preds.flat());
    this.pending = new Int32Array(n);
    this.heaps = Array.from({ length: processors }, () => new Int32Array(n));
    this.sizes = new Int32Array(processors);
    this.segment = new Array<number>(n).fill(0);
    this.words = (n + 31) >> 5;
    this.placed = new Int32Array(this.words);
    this.pendingStamp = new Int32Array(n);
    this.baseProcessor = new Int32Array(n);
    this.pushStep = new Int32Array(n);
    this.moved = new Int32Array(n);
  }

  /** Segment index per node (same as processorBatchedSegments). */
  segments(processor: ArrayLike<number>): number[] {
    this.run(processor, true, false);
    return [...this.segment];
  }

  /** Number of segments. */
  count(processor: ArrayLike<number>): number {
    return this.run(processor, false, false);
  }

  /** Bumped by every setBaseline: a holder of an older baseline knows it was replaced. */
  generation = 0;

  /** count(processor), recording what moveCount needs; later trials are against this processor array. */
  setBaseline(processor: ArrayLike<number>): number {
    this.generation++;
    this.baseProcessor.set(processor as ArrayLike<number>);
    this.baseTotal = this.run(processor, false, true);
    this.hasBaseline = true;
    return this.baseTotal;
  }

  /** The baseline's count. */
  baselineCount(): number {
    return this.baseTotal;
  }

  /** count(processor) for a `processor` that differs from the baseline's in node `node` only. */
  moveCount(processor: ArrayLike<number>, node: number): number {
    this.one[0] = node;
    return this.movesCount(processor, this.one, 1);
  }

  /** count(processor) for a `processor` that differs from the baseline's in nodes[0..count) only. */
  movesCount(processor: ArrayLike<number>, nodes: ArrayLike<number>, count = nodes.length): number {
    if (!this.hasBaseline) throw new Error("SegmentCounter: moveCount without a baseline");
    // The order is the baseline's until the first moved node enters a ready queue.
    let first = this.n;
    let moved = 0;
    for (let j = 0; j < count; j++) {
      const i = nodes[j]!;
      if (processor[i] === this.baseProcessor[i]) continue;
      first = Math.min(first, this.pushStep[i]!);
      this.moved[moved++] = i;
    }
    if (moved === 0) return this.baseTotal;
    this.stats.trials++;
    if (first < 0) return this.replay(processor, moved, 0, true);
    return this.replay(processor, moved, Math.floor(first / SEGMENT_CHECKPOINT_EVERY), false);
  }

  private newEpoch(): void {
    this.epoch++;
    if (this.epoch === 0x7fffffff) { this.epoch = 1; this.pendingStamp.fill(0); }
  }

  /** Placing a node: mark it, release its successors (pending counts start on first touch). */
  private place(processor: ArrayLike<number>, i: number, step: number, record: boolean): void {
    this.placed[i >> 5]! |= 1 << (i & 31);
    for (let k = this.succStart[i]!, ke = this.succStart[i + 1]!; k < ke; k++) {
      const s = this.succ[k]!;
      let left: number;
      if (this.pendingStamp[s] !== this.epoch) {
        this.pendingStamp[s] = this.epoch;
        left = 0;
        for (let q = this.predStart[s]!, qe = this.predStart[s + 1]!; q < qe; q++) { const p = this.pred[q]!; if (((this.placed[p >> 5]! >>> (p & 31)) & 1) === 0) left++; }
      } else left = this.pending[s]! - 1;
      this.pending[s] = left;
      if (left > 0) continue;
      const d = processor[s]!;
      if (d !== this.current && this.sizes[d] === 0) this.handedOff = true;
      this.push(d, s);
      if (record) this.pushStep[s] = step;
    }
  }

  private run(processor: ArrayLike<number>, record: boolean, baseline: boolean): number {
    const n = this.n;
    this.hasBaseline &&= !baseline;
    if (n === 0) return 0;
    this.newEpoch();
    this.placed.fill(0);
    this.sizes.fill(0);
    if (baseline) { this.cpCurrent.length = this.cpSeg.length = this.cpHandedOff.length = this.cpQueueStart.length = this.cpQueue.length = 0; }
    for (let i = 0; i < n; i++) if (this.indegree[i] === 0) { this.push(processor[i]!, i); if (baseline) this.pushStep[i] = -1; }
    this.current = -1;
    this.seg = -1;
    this.handedOff = false;
    for (let placed = 0; placed < n; placed++) {
      if (baseline && placed % SEGMENT_CHECKPOINT_EVERY === 0) this.checkpoint();
      const i = this.next();
      if (record) this.segment[i] = this.seg;
      this.place(processor, i, placed, baseline);
    }
    return this.seg + 1;
  }

  /** The next node of the order (starting a segment when it must). */
  private next(): number {
    if (this.current < 0 || this.sizes[this.current] === 0) {
      let best = -1;
      for (let d = 0; d < this.processors; d++) if (this.sizes[d]! > 0 && (best < 0 || this.heaps[d]![0]! < this.heaps[best]![0]!)) best = d;
      if (best < 0) throw new Error("the graph has a cycle");
      this.current = best;
      this.seg++;
    } else if (this.handedOff) this.seg++;
    this.handedOff = false;
    return this.pop(this.current);
  }

  private checkpoint(): void {
    const c = this.cpCurrent.length;
    this.cpCurrent.push(this.current);
    this.cpSeg.push(this.seg);
    this.cpHandedOff.push(this.handedOff ? 1 : 0);
    if (this.cpPlaced.length < (c + 1) * this.words) { const grown = new Int32Array(Math.max(1024, 2 * (c + 1) * this.words)); grown.set(this.cpPlaced); this.cpPlaced = grown; }
    this.cpPlaced.set(this.placed, c * this.words);
    for (let d = 0; d < this.processors; d++) {
      this.cpQueueStart.push(this.cpQueue.length);
      const h = this.heaps[d]!;
      for (let j = 0; j < this.sizes[d]!; j++) this.cpQueue.push(h[j]!);
    }
  }

  /** The trial of movesCount (moved nodes in this.moved[0..moved)) from checkpoint c (or from the start), back on the baseline once it can be. */
  private replay(processor: ArrayLike<number>, moved: number, c: number, fromStart: boolean): number {
    const n = this.n;
    const P = this.processors;
    const K = SEGMENT_CHECKPOINT_EVERY;
    this.newEpoch();
    let step: number;
    if (fromStart) {
      this.placed.fill(0);
      this.sizes.fill(0);
      for (let i = 0; i < n; i++) if (this.indegree[i] === 0) this.push(processor[i]!, i);
      this.current = -1;
      this.seg = -1;
      this.handedOff = false;
      step = 0;
    } else {
      this.placed.set(this.cpPlaced.subarray(c * this.words, (c + 1) * this.words));
      for (let d = 0; d < P; d++) {
        // The stored heap arrays are valid heaps as they stand.
        const start = this.cpQueueStart[c * P + d]!;
        const end = c * P + d + 1 < this.cpQueueStart.length ? this.cpQueueStart[c * P + d + 1]! : this.cpQueue.length;
        const h = this.heaps[d]!;
        for (let j = start; j < end; j++) h[j - start] = this.cpQueue[j]!;
        this.sizes[d] = end - start;
      }
      this.current = this.cpCurrent[c]!;
      this.seg = this.cpSeg[c]!;
      this.handedOff = this.cpHandedOff[c] === 1;
      step = c * K;
    }
    const checkpoints = this.cpCurrent.length;
    for (; step < n; step++) {
      if (step % K === 0 && this.allPlaced(moved)) {
        const b = step / K;
        if (b < checkpoints && this.sameState(b)) return this.seg - this.cpSeg[b]! + this.baseTotal;
      }
      this.stats.steps++;
      const i = this.next();
      this.place(processor, i, step, false);
    }
    return this.seg + 1;
  }

  private allPlaced(moved: number): boolean {
    for (let j = 0; j < moved; j++) { const i = this.moved[j]!; if (((this.placed[i >> 5]! >>> (i & 31)) & 1) === 0) return false; }
    return true;
  }

  private sameState(c: number): boolean {
    if (this.current !== this.cpCurrent[c] || (this.handedOff ? 1 : 0) !== this.cpHandedOff[c]) return false;
    const o = c * this.words;
    for (let w = 0; w < this.words; w++) if (this.placed[w] !== this.cpPlaced[o + w]) return false;
    return true;
  }
  private push(d: number, x: number): void {
    const h = this.heaps[d]!;
    let k = this.sizes[d]!++;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (h[parent]! <= x) break;
      h[k] = h[parent]!;
      k = parent;
    }
    h[k] = x;
  }

  private pop(d: number): number {
    const h = this.heaps[d]!;
    const top = h[0]!;
    const size = --this.sizes[d]!;
    const x = h[size]!;
    let k = 0;
    for (;;) {
      let c = 2 * k + 1;
      if (c >= size) break;
      if (c + 1 < size && h[c + 1]! < h[c]!) c++;
      if (h[c]! >= x) break;
      h[k] = h[c]!;
      k = c;
    }
    if (size > 0) h[k] = x;
    return top;
  }
}
