// How the partition pass cuts a device assignment into single-device partitions, on plain
// arrays so the planner can count a plan's partitions (each costs a runtime call) without
// the IR: step 1, device-batched topological segments; step 2, cycle- and delay-checked
// contraction. passes/partition.ts explains the rules and applies them to a graph.
import { Heap } from "../../ir/heap.ts";

/**
 * Step 1: partition index per node from a device-batched Kahn order (see the header). Also an
 * upper bound on the partition count that placement's threshold search uses (linear time).
 */
export function deviceBatchedSegments<D extends string | number>(device: ArrayLike<D>, preds: readonly (readonly number[])[]): number[] {
  const n = device.length;
  const succ: number[][] = Array.from({ length: n }, () => []);
  const pending = preds.map((p) => p.length);
  preds.forEach((ps, i) => ps.forEach((p) => succ[p]!.push(i)));
  const ready = new Map<D, Heap<number>>();
  const queue = (d: D) => { let q = ready.get(d); if (!q) ready.set(d, (q = smallestFirst())); return q; };
  pending.forEach((c, i) => { if (c === 0) queue(device[i]!).push(i); });
  const segment = new Array<number>(n).fill(-1);
  let current: D | undefined;
  let seg = -1;
  let handedOff = false;
  for (let placed = 0; placed < n; placed++) {
    if (current === undefined || queue(current).size === 0) {
      let bestDevice: D | undefined;
      for (const [d, q] of ready) if (q.size > 0 && (bestDevice === undefined || q.peek()! < queue(bestDevice).peek()!)) bestDevice = d;
      if (bestDevice === undefined) throw new Error("the graph has a cycle"); // topologicalOrder would have thrown first
      current = bestDevice;
      seg++;
    } else if (handedOff) {
      seg++; // another device reads what this segment made: more work here would keep it waiting
    }
    handedOff = false;
    const i = queue(current).pop()!;
    segment[i] = seg;
    for (const s of succ[i]!) {
      if (--pending[s]! > 0) continue;
      const q = queue(device[s]!);
      // Another device that was waiting gets work from this node: cut here so it can start.
      if (device[s] !== current && q.size === 0) handedOff = true;
      q.push(s);
    }
  }
  return segment;
}

/** Step 2: merge same-device partitions while no path of length >= 2 joins them; renumber topologically. */
export function contractSegments<D extends string | number>(initial: readonly number[], device: ArrayLike<D>, preds: readonly (readonly number[])[]): number[] {
  let part = [...initial];
  for (;;) {
    const count = part.length === 0 ? 0 : Math.max(...part) + 1;
    const partDevice = new Array<D>(count);
    part.forEach((p, i) => { partDevice[p] = device[i]!; });
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
        if (partDevice[p] !== partDevice[q]) continue;
        if ((via[p]![q >>> 5]! >>> (q & 31)) & 1) continue;
        // No delay: every other partition q reads from must be done before p can start anyway,
        // else the merged partition would hold p back until that (other device's) work is done
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

/**
 * deviceBatchedSegments for processor indices 0..P-1, with the successor lists and heaps built
 * once: searches count the segments of thousands of plans over the same graph.
 */
export class SegmentCounter {
  private readonly succStart: Int32Array;
  private readonly succ: Int32Array;
  private readonly indegree: Int32Array;
  private readonly pending: Int32Array;
  private readonly heaps: Int32Array[];
  private readonly sizes: Int32Array;
  private readonly segment: number[];

  constructor(preds: readonly (readonly number[])[], private readonly processors: number) {
    const n = preds.length;
    this.indegree = Int32Array.from(preds, (p) => p.length);
    const outCount = new Int32Array(n);
    for (const ps of preds) for (const p of ps) outCount[p]!++;
    this.succStart = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) this.succStart[i + 1] = this.succStart[i]! + outCount[i]!;
    this.succ = new Int32Array(this.succStart[n]!);
    const fill = this.succStart.slice(0, n);
    preds.forEach((ps, i) => { for (const p of ps) this.succ[fill[p]!++] = i; });
    this.pending = new Int32Array(n);
    this.heaps = Array.from({ length: processors }, () => new Int32Array(n));
    this.sizes = new Int32Array(processors);
    this.segment = new Array<number>(n).fill(0);
  }

  /** Segment index per node (same as deviceBatchedSegments). */
  segments(device: ArrayLike<number>): number[] {
    this.run(device, true);
    return [...this.segment];
  }

  /** Number of segments. */
  count(device: ArrayLike<number>): number {
    return this.run(device, false);
  }

  private run(device: ArrayLike<number>, record: boolean): number {
    const n = this.indegree.length;
    if (n === 0) return 0;
    this.pending.set(this.indegree);
    this.sizes.fill(0);
    for (let i = 0; i < n; i++) if (this.pending[i] === 0) this.push(device[i]!, i);
    let current = -1;
    let seg = -1;
    let handedOff = false;
    for (let placed = 0; placed < n; placed++) {
      if (current < 0 || this.sizes[current] === 0) {
        let best = -1;
        for (let d = 0; d < this.processors; d++) if (this.sizes[d]! > 0 && (best < 0 || this.heaps[d]![0]! < this.heaps[best]![0]!)) best = d;
        if (best < 0) throw new Error("the graph has a cycle");
        current = best;
        seg++;
      } else if (handedOff) seg++;
      handedOff = false;
      const i = this.pop(current);
      if (record) this.segment[i] = seg;
      for (let k = this.succStart[i]!; k < this.succStart[i + 1]!; k++) {
        const s = this.succ[k]!;
        if (--this.pending[s]! > 0) continue;
        const d = device[s]!;
        if (d !== current && this.sizes[d] === 0) handedOff = true;
        this.push(d, s);
      }
    }
    return seg + 1;
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
