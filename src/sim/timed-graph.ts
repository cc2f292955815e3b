// The part of a SimGraph that takes time, flattened into typed arrays for the plan evaluator
// (fast-eval.ts). Constant nodes are dropped: they read no value the simulator tracks, write none
// (their outputs are resident like weights) and cost 0 ms; evaluate() completes them at time 0
// without giving them a turn on a processor (isUntimed). Every other node stays, in the same topological order,
// so task order (ties are broken by node index) is the same as evaluate()'s.
import type { SimGraph } from "./sim-graph.ts";

export interface TimedGraph {
  /** SimGraph node count (assignments are indexed by SimGraph node). */
  n: number;
  /** Timed node count; timed index k is SimGraph node nodeOf[k], in topological order. */
  m: number;
  nodeOf: Int32Array;
  /** SimGraph node -> timed index, or -1 for a dropped node. */
  timedOf: Int32Array;
  processors: number;
  host: number;
  values: number;
  /** Inputs of timed node k: value indices inList[inStart[k] .. inStart[k+1]), in SimGraph order. */
  inStart: Int32Array;
  inList: Int32Array;
  /** Outputs of timed node k (value indices), in SimGraph order. */
  outStart: Int32Array;
  outList: Int32Array;
  /** Consumers of value v (timed indices), in SimGraph order. */
  consStart: Int32Array;
  consList: Int32Array;
  /** Timed index of the producer of value v, -1 for a model input. */
  producer: Int32Array;
  isOutput: Uint8Array;
  /** transferMs[(v * P + from) * P + to]: the link time of value v (0 when from === to). */
  transferMs: Float64Array;
  /** copyEngine[from * P + to]: the transfer runs on the link, overlapping compute. */
  copyEngine: Uint8Array;
  /** Producer values of timed node k that come from a node (not a model input): the release count. */
  dependencies: Int32Array;
  /** duration[p * n + i]: ms of SimGraph node i on processor p, unfused. */
  duration: Float64Array;
  /** fuseParent[p * n + i], fuseNeedsParentFused[p * n + i]: as SimGraph's, flattened. */
  fuseParent: Int32Array;
  fuseNeedsParentFused: Uint8Array;
  /** SimGraph nodes whose fusion may depend on node i (its fusion children on any processor). */
  fuseChildStart: Int32Array;
  fuseChildList: Int32Array;
  runOverheadMs: number;
  /** Upward rank of timed node k (SimGraph's upwardRank): the ready queues' priority. */
  rank: Float64Array;
}

/** True for SimGraph nodes that never take time nor move data: constants folded at load. */
export function isUntimed(sim: SimGraph, i: number): boolean {
  if (sim.inputsOf[i]!.length > 0 || sim.outputsOf[i]!.length > 0) return false;
  return sim.duration.every((d) => d[i] === 0);
}

export function compileTimed(sim: SimGraph): TimedGraph {
  const n = sim.nodes.length;
  const P = sim.processors.length;
  if (P > 30) throw new Error(`profile '${sim.profile.name}' has ${P} processors; the plan evaluator handles at most 30`);
  const V = sim.values.length;
  const timedOf = new Int32Array(n).fill(-1);
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (!isUntimed(sim, i)) { timedOf[i] = kept.length; kept.push(i); }
  const m = kept.length;
  const nodeOf = Int32Array.from(kept);

  const csr = (lists: readonly (readonly number[])[], map: (x: number) => number = (x) => x) => {
    const start = new Int32Array(lists.length + 1);
    lists.forEach((l, i) => { start[i + 1] = start[i]! + l.length; });
    const list = new Int32Array(start[lists.length]!);
    lists.forEach((l, i) => l.forEach((x, j) => { list[start[i]! + j] = map(x); }));
    return { start, list };
  };
  const ins = csr(kept.map((i) => sim.inputsOf[i]!));
  const outs = csr(kept.map((i) => sim.outputsOf[i]!));
  const cons = csr(sim.values.map((v) => v.consumers), (c) => timedOf[c]!);
  const producer = Int32Array.from(sim.values, (v) => (v.producer < 0 ? -1 : timedOf[v.producer]!));
  const isOutput = Uint8Array.from(sim.values, (v) => (v.isGraphOutput ? 1 : 0));
  const transferMs = new Float64Array(V * P * P);
  for (let v = 0; v < V; v++) {
    for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) if (a !== b) transferMs[(v * P + a) * P + b] = sim.transfer(a, b, sim.values[v]!.bytes);
  }
  const copyEngine = new Uint8Array(P * P);
  for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) copyEngine[a * P + b] = sim.copyEngine[a]![b] ? 1 : 0;
  const dependencies = Int32Array.from(kept, (i) => sim.inputsOf[i]!.reduce((k, v) => k + (sim.values[v]!.producer >= 0 ? 1 : 0), 0));

  const duration = new Float64Array(P * n);
  const fuseParent = new Int32Array(P * n);
  const fuseNeedsParentFused = new Uint8Array(P * n);
  const children: number[][] = Array.from({ length: n }, () => []);
  for (let p = 0; p < P; p++) {
    duration.set(sim.duration[p]!, p * n);
    fuseParent.set(sim.fuseParent[p]!, p * n);
    fuseNeedsParentFused.set(sim.fuseNeedsParentFused[p]!, p * n);
    for (let i = 0; i < n; i++) {
      const parent = sim.fuseParent[p]![i]!;
      if (parent >= 0 && !children[parent]!.includes(i)) children[parent]!.push(i);
    }
  }
  const fuseChildren = csr(children);
  return {
    n, m, nodeOf, timedOf, processors: P, host: sim.host, values: V,
    inStart: ins.start, inList: ins.list, outStart: outs.start, outList: outs.list, consStart: cons.start, consList: cons.list,
    producer, isOutput, transferMs, copyEngine, dependencies, duration, fuseParent, fuseNeedsParentFused,
    fuseChildStart: fuseChildren.start, fuseChildList: fuseChildren.list, runOverheadMs: sim.profile.runOverheadUs / 1000,
    rank: Float64Array.from(kept, (i) => sim.upwardRank[i]!),
  };
}
