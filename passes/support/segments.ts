// Calibration in segments: the exported graph is cut into runs of consecutive nodes, each run
// becomes a sub-model of its own (inputs: the graph inputs it reads and the values earlier
// segments made for it), and a sample goes through the segments in order, each fed with the
// previous ones' boundary values. Why: onnxruntime's session creation grows with the square of
// the graph outputs a session exposes (a 20,000-node chain: 0.6 s with one output, 2.4 s with all
// 20,000), and a calibration exposes a value per node; and a run keeps every exposed output alive
// until it ends. A segment exposes only its own values, so both stay bounded and the whole
// calibration is linear in the graph. Values are those of the unsegmented graph: the same nodes
// run on the same data (boundary values are passed on as onnxruntime made them).
//
// Samples go one at a time through all segments (sessions stay open), so only one sample's
// boundary values are held at any time, whatever the sample count.
import { create } from "@bufbuild/protobuf";
import type * as ort from "onnxruntime-node";
import {
  GraphProtoSchema, TypeProtoSchema, TypeProto_TensorSchema, ValueInfoProtoSchema, rebuild, ModelProtoSchema, encodeModel,
  type GraphProto, type ModelProto, type NodeProto,
} from "../../ir/onnx/proto.ts";

export interface SegmentLimits {
  /** Most nodes (helpers not counted) per segment. */
  maxNodes: number;
  /** Most fetched bytes per segment run, with the bytes each node's fetched outputs take. */
  maxFetchBytes?: number;
  fetchBytes?: (node: NodeProto, index: number) => number;
  /** Nodes that belong to the node before them (counters): a segment never starts at one. */
  isHelper?: (node: NodeProto) => boolean;
  /** Whether a value may cross a cut (be fetched from one segment and fed to another): tensors only. */
  canCross: (name: string) => boolean;
}

export interface Segment {
  /** Node range [start, end) of the whole graph. */
  start: number;
  end: number;
  /** Names fed to the segment: graph inputs and earlier segments' values. */
  inputs: string[];
  /** Wanted outputs made here (`fetch` of `planSegments`). */
  fetch: string[];
  /** Values made here that later segments read. */
  keep: string[];
  /** Boundary values no segment after this one reads. */
  release: string[];
}

/** Names a node reads: its inputs and, for nodes with subgraphs, the outer values those use. */
function readNames(node: NodeProto): string[] {
  const names = node.input.filter((n) => n !== "");
  for (const a of node.attribute) for (const g of a.g ? [a.g, ...a.graphs] : a.graphs) names.push(...outerNames(g));
  return names;
}

function outerNames(graph: GraphProto): Set<string> {
  const defined = new Set<string>([...graph.input.map((v) => v.name), ...graph.initializer.map((t) => t.name), ...graph.node.flatMap((n) => n.output)]);
  const outer = new Set<string>();
  for (const n of graph.node) for (const name of readNames(n)) if (!defined.has(name)) outer.add(name);
  for (const o of graph.output) if (!defined.has(o.name)) outer.add(o.name);
  return outer;
}

/**
 * Cuts `graph` (nodes in topological order) into segments of at most `limits.maxNodes` nodes
 * and `limits.maxFetchBytes` fetched bytes, where only values `canCross` allows cross a cut (a
 * segment grows past the limits until such a place comes). `fetch`: the outputs wanted.
 */
export function planSegments(graph: GraphProto, fetch: ReadonlySet<string>, limits: SegmentLimits): Segment[] {
  const nodes = graph.node;
  const n = nodes.length;
  const initializers = new Set(graph.initializer.map((t) => t.name));
  for (const s of graph.sparseInitializer) if (s.values) initializers.add(s.values.name);
  const producer = new Map<string, number>();
  nodes.forEach((node, i) => { for (const o of node.output) if (o !== "") producer.set(o, i); });
  const reads = nodes.map(readNames);
  const lastRead = new Map<string, number>();
  reads.forEach((names, i) => { for (const name of names) if (producer.has(name)) lastRead.set(name, i); });
  // blocked[p] > 0: some value that may not cross is live across position p (made before, read at or after).
  const blocked = new Int32Array(n + 1);
  for (const [name, last] of lastRead) {
    const made = producer.get(name)!;
    if (last > made && !limits.canCross(name)) { blocked[made + 1]!++; blocked[last + 1]!--; }
  }
  for (let p = 1; p <= n; p++) blocked[p]! += blocked[p - 1]!;

  const cuts: number[] = [0];
  let count = 0;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const helper = limits.isHelper?.(nodes[i]!) ?? false;
    const add = limits.fetchBytes?.(nodes[i]!, i) ?? 0;
    const full = count >= limits.maxNodes || (limits.maxFetchBytes !== undefined && bytes > 0 && bytes + add > limits.maxFetchBytes);
    if (!helper && full && i > cuts[cuts.length - 1]! && blocked[i] === 0) {
      cuts.push(i);
      count = 0;
      bytes = 0;
    }
    if (!helper) count++;
    bytes += add;
  }
  cuts.push(n);

  const segments: Segment[] = [];
  const segmentOf = new Int32Array(n);
  for (let s = 0; s + 1 < cuts.length; s++) for (let i = cuts[s]!; i < cuts[s + 1]!; i++) segmentOf[i] = s;
  const lastSegment = new Map<string, number>();
  for (const [name, last] of lastRead) lastSegment.set(name, segmentOf[last]!);
  for (let s = 0; s + 1 < cuts.length; s++) {
    const start = cuts[s]!;
    const end = cuts[s + 1]!;
    const inputs = new Set<string>();
    const fetched: string[] = [];
    const keep: string[] = [];
    for (let i = start; i < end; i++) {
      for (const name of reads[i]!) {
        const p = producer.get(name);
        if (initializers.has(name) && p === undefined) continue;
        if (p === undefined || p < start) inputs.add(name);
      }
      for (const o of nodes[i]!.output) {
        if (o === "") continue;
        if (fetch.has(o)) fetched.push(o);
        if ((lastSegment.get(o) ?? s) > s) keep.push(o);
      }
    }
    const release = [...inputs].filter((name) => producer.has(name) && lastSegment.get(name) === s);
    segments.push({ start, end, inputs: [...inputs], fetch: fetched, keep, release });
  }
  return segments;
}

/**
 * The sub-model of one segment. Boundary inputs get the element type of the tensor onnxruntime
 * made for them (`boundary`), with no shape, so any sample's sizes fit.
 */
export function segmentModel(model: ModelProto, segment: Segment, boundary: ReadonlyMap<string, ort.Tensor>, elemType: (t: ort.Tensor) => number): Uint8Array {
  const graph = model.graph!;
  const nodes = graph.node.slice(segment.start, segment.end);
  const used = new Set(segment.inputs);
  for (const node of nodes) for (const name of readNames(node)) used.add(name);
  const declared = new Map(graph.input.map((v) => [v.name, v] as const));
  const made = new Set(nodes.flatMap((node) => node.output));
  const input = segment.inputs.map((name) => {
    const original = declared.get(name);
    if (original) return original;
    const tensor = boundary.get(name);
    if (!tensor) throw new Error(`calibration segment: no value for '${name}'`);
    const type = create(TypeProtoSchema, { value: { case: "tensorType", value: create(TypeProto_TensorSchema, { elemType: elemType(tensor) }) } });
    return create(ValueInfoProtoSchema, { name, type });
  });
  // IR < 4 lists weights among the graph inputs too: keep those entries for the weights used.
  for (const v of graph.input) if (used.has(v.name) && !segment.inputs.includes(v.name) && !made.has(v.name)) input.push(v);
  const sub = create(GraphProtoSchema, {
    name: graph.name,
    node: nodes,
    initializer: graph.initializer.filter((t) => used.has(t.name)),
    sparseInitializer: graph.sparseInitializer.filter((t) => used.has(t.values?.name ?? "")),
    input,
    output: [...new Set([...segment.fetch, ...segment.keep])].map((name) => create(ValueInfoProtoSchema, { name })),
    valueInfo: graph.valueInfo.filter((v) => made.has(v.name)),
  });
  return encodeModel(rebuild(ModelProtoSchema, model, { graph: sub }));
}

export interface SegmentedRun {
  samples: number;
  /** The graph inputs of sample k. */
  feeds: (k: number) => Record<string, ort.Tensor>;
  /** The ONNX element type of an onnxruntime tensor (the boundary inputs' declared types). */
  elemType: (t: ort.Tensor) => number;
  /** Opens a session on a sub-model's bytes. */
  open: (bytes: Uint8Array) => Promise<ort.InferenceSession>;
  /** Each wanted output of each sample; the tensor is disposed after the call. */
  onOutput: (name: string, tensor: ort.Tensor, sample: number) => void;
  /** Called after each sample is through each segment that runs; `total` = those segments x samples. */
  onProgress?: (done: number, total: number) => void;
}

/** Runs every sample through `segments` of `model` in order; returns the number of onnxruntime runs. */
export async function runSegments(model: ModelProto, segments: readonly Segment[], run: SegmentedRun): Promise<number> {
  const sessions: (ort.InferenceSession | undefined)[] = segments.map(() => undefined);
  // Segments after the last one that fetches something need not run.
  const used = segments.findLastIndex((s) => s.fetch.length > 0) + 1;
  const steps = Math.max(1, used);
  let runs = 0;
  try {
    for (let k = 0; k < run.samples; k++) {
      const fed = run.feeds(k);
      const boundary = new Map<string, ort.Tensor>();
      for (let s = 0; s < used; s++) {
        const segment = segments[s]!;
        const outputs = [...new Set([...segment.fetch, ...segment.keep])];
        if (outputs.length > 0) {
          // Opened when sample 0 first reaches it: its boundary inputs' types are known then.
          const session = sessions[s] ??= await run.open(segmentModel(model, segment, boundary, run.elemType));
          const feeds: Record<string, ort.Tensor> = {};
          for (const name of segment.inputs) feeds[name] = fed[name] ?? boundary.get(name)!;
          const out = await session.run(feeds, outputs);
          runs++;
          const kept = new Set(segment.keep);
          for (const name of segment.fetch) run.onOutput(name, out[name]!, k);
          for (const name of outputs) {
            if (kept.has(name)) boundary.set(name, out[name]!);
            else out[name]!.dispose();
          }
        }
        for (const name of segment.release) { boundary.get(name)?.dispose(); boundary.delete(name); }
        run.onProgress?.(k * steps + s + 1, steps * run.samples);
      }
      if (used === 0) run.onProgress?.(k + 1, run.samples);
      for (const t of boundary.values()) t.dispose();
    }
  } finally {
    for (const session of sessions) await session?.release();
  }
  return runs;
}
