// Zero counts of float activations computed inside onnxruntime: for each observed value the
// exported graph gets Cast(bool) -> Cast(float) -> ReduceSum (its non-zeros; its element count
// from the IR's static shape, else a Size node), placed right after the node that makes it,
// plus Less(Abs(x), eps) for near-zeros, and only those scalars are fetched. Fetching a large
// intermediate instead copies it out of onnxruntime (about 4 ns per element here, against
// 1.4 ns for the counters) to count it in JavaScript; small values (FETCH_ELEMENTS) are fetched
// whole, where the counters' kernels and outputs cost more than the copy. The graph runs in
// segments like calibrate.ts (segments.ts), since session creation grows with the square of the
// outputs a session exposes. The ops used exist from opset 6 on, so any model the loader takes
// can be extended.
import { create } from "@bufbuild/protobuf";
import type * as ort from "onnxruntime-node";
import { DataType } from "../../ir/dtype.ts";
import { bfloat16Value, float16Value, type NumericArray } from "../../ir/tensor.ts";
import type { Model } from "../../ir/model.ts";
import type { Value } from "../../ir/value.ts";
import { AttributeProtoSchema, NodeProtoSchema, TensorProtoSchema, ValueInfoProtoSchema, type GraphProto, type NodeProto } from "../../ir/onnx/proto.ts";
import { calibrationSamples, crossable, elemTypeOf, exportForCalibration, openCalibrationSession, sampleFeeds, SEGMENT_NODES, type CalibrationOptions, type Observation } from "./calibrate.ts";
import { planSegments, runSegments } from "./segments.ts";

export interface Counts { zeros: number; near: number; total: number; dtype?: number }

/** Adds the zeros (and |x| < eps, when eps > 0) of `data` to `counts`. float16 data is raw bits. */
export function countZeros(dtype: number, data: NumericArray, eps: number, counts: Counts): void {
  let zeros = 0;
  let near = 0;
  const n = data.length;
  if (dtype === DataType.FLOAT16 || dtype === DataType.BFLOAT16) {
    const bits = data as Uint16Array;
    for (let i = 0; i < n; i++) {
      const h = bits[i]! & 0x7fff;
      if (h === 0) zeros++;
      else if (eps > 0 && Math.abs(dtype === DataType.BFLOAT16 ? bfloat16Value(h) : float16Value(h)) < eps) near++;
    }
  } else if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) if (data[i] === 0n) zeros++;
  } else {
    const xs = data as Float32Array;
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      if (x === 0) zeros++;
      else if (eps > 0 && x < eps && x > -eps) near++;
    }
  }
  counts.zeros += zeros;
  counts.near += zeros + near;
  counts.total += n;
}

export interface ZeroCount { zeros: number; near: number; total: number; dtype: number }

/** Element types whose zeros onnxruntime counts here; other values take calibrate.ts's path. */
export function countableInGraph(v: Value): boolean {
  const t = v.type;
  return t?.kind === "tensor" && (t.elemType === DataType.FLOAT || t.elemType === DataType.DOUBLE);
}

const intAttr = (name: string, i: number) => create(AttributeProtoSchema, { name, type: 2, i: BigInt(i) });
const node = (opType: string, input: string[], output: string[], attribute = [] as ReturnType<typeof intAttr>[]) =>
  create(NodeProtoSchema, { opType, input, output, name: output[0]!, attribute });

const HELPER = "__sparoa_";
/** Float sums of ones are exact below 2^24 elements; bigger values (or of unknown size) are summed in double. */
const FLOAT_EXACT = 2 ** 24;

function knownElements(v: Value): number | undefined {
  const t = v.type;
  if (t?.kind !== "tensor" || !t.shape) return undefined;
  let n = 1;
  for (const d of t.shape) { if (typeof d !== "number" || d < 0) return undefined; n *= d; }
  return n;
}

/**
 * Values of at most this many elements (known from the IR) are fetched whole and counted in
 * JavaScript: for them, four counter kernels and their outputs cost more than the copy. A
 * 100,000-node chain of 8-element values would otherwise run 500,000 nodes.
 */
export const FETCH_ELEMENTS = 4096;

/** What output `name` of the extended graph carries: value index and what of it. */
interface Counter { value: number; field: "nonzero" | "total" | "near" | "whole" }

/** Adds the counting nodes (or the value itself as an output) for `values`; returns the outputs to fetch by name. */
function addCounters(graph: GraphProto, values: readonly Value[], eps: number): Map<string, Counter> {
  const counters = new Map<string, Counter>();
  const epsName = (dtype: number) => `${HELPER}eps_${dtype}`;
  if (eps > 0) {
    graph.initializer.push(create(TensorProtoSchema, { name: epsName(DataType.FLOAT), dataType: DataType.FLOAT, dims: [], floatData: [eps] }));
    graph.initializer.push(create(TensorProtoSchema, { name: epsName(DataType.DOUBLE), dataType: DataType.DOUBLE, dims: [], doubleData: [eps] }));
  }
  const outputs = new Set(graph.output.map((o) => o.name));
  const fetch = (name: string, counter: Counter) => {
    counters.set(name, counter);
    if (!outputs.has(name)) graph.output.push(create(ValueInfoProtoSchema, { name }));
    outputs.add(name);
    return name;
  };
  // Each value's counters go right after the node that makes it: onnxruntime runs nodes in this
  // order, so appended at the end they would keep every intermediate alive until the run ends.
  const after = new Map<string, NodeProto[]>();
  values.forEach((v, i) => {
    const x = v.name;
    const elements = knownElements(v);
    if (elements !== undefined && elements <= FETCH_ELEMENTS) {
      fetch(x, { value: i, field: "whole" });
      return;
    }
    const list: NodeProto[] = [];
    after.set(x, list);
    // The int64 route is exact always but measured 3-5x slower in onnxruntime's CPU kernels.
    const sumType = elements !== undefined && elements < FLOAT_EXACT ? DataType.FLOAT : DataType.DOUBLE;
    const out = (field: Counter["field"]) => fetch(`${HELPER}${field}_${i}`, { value: i, field });
    list.push(node("Cast", [x], [`${HELPER}bool_${i}`], [intAttr("to", DataType.BOOL)]),
      node("Cast", [`${HELPER}bool_${i}`], [`${HELPER}one_${i}`], [intAttr("to", sumType)]),
      node("ReduceSum", [`${HELPER}one_${i}`], [out("nonzero")], [intAttr("keepdims", 0)]));
    // The element count comes from the IR's shape when it is static, else from onnxruntime.
    if (elements === undefined) list.push(node("Size", [x], [out("total")]));
    if (eps > 0) {
      const dtype = v.type?.kind === "tensor" ? v.type.elemType : DataType.FLOAT;
      list.push(
        node("Abs", [x], [`${HELPER}abs_${i}`]),
        node("Less", [`${HELPER}abs_${i}`, epsName(dtype)], [`${HELPER}lt_${i}`]),
        node("Cast", [`${HELPER}lt_${i}`], [`${HELPER}ltsum_${i}`], [intAttr("to", sumType)]),
        node("ReduceSum", [`${HELPER}ltsum_${i}`], [out("near")], [intAttr("keepdims", 0)]),
      );
    }
  });
  graph.node = graph.node.flatMap((n) => [n, ...n.output.flatMap((o) => after.get(o) ?? [])]);
  return counters;
}

const scalar = (t: ort.Tensor): number => Number((t.data as Float32Array | Float64Array | BigInt64Array)[0]!);

/**
 * Runs the model once per calibration sample, counting the zeros of `values` (float tensors,
 * see countableInGraph) inside onnxruntime; the graph inputs of each sample go to `onInput`.
 */
export async function countZerosInGraph(model: Model, options: CalibrationOptions, values: readonly Value[], eps: number, onInput: (o: Observation) => void): Promise<{ counts: Map<Value, ZeroCount>; samples: number; runs: number; segments: number }> {
  const { specs, count, sample } = calibrationSamples(model, options);
  const sums = values.map(() => ({ nonzero: 0, total: 0, near: 0 }));
  const elements = values.map(knownElements);
  let counters = new Map<string, Counter>();
  const { proto, externalData } = exportForCalibration(model, [], (graph) => { counters = addCounters(graph, values, eps); });
  const segments = planSegments(proto.graph!, new Set(counters.keys()), {
    maxNodes: options.segmentNodes ?? SEGMENT_NODES,
    isHelper: (n) => n.name.startsWith(HELPER),
    canCross: crossable(model),
  });
  const runs = await runSegments(proto, segments, {
    samples: count,
    feeds: (k) => sampleFeeds(specs, sample(k), k, onInput),
    elemType: elemTypeOf,
    // The arena saves an allocation per node, but each open session keeps its peak: one segment only.
    open: (bytes) => openCalibrationSession(bytes, externalData, segments.length === 1),
    onOutput: (name, t) => {
      const c = counters.get(name)!;
      const sum = sums[c.value]!;
      if (c.field === "whole") {
        const whole = { zeros: 0, near: 0, total: 0 };
        countZeros(elemTypeOf(t), t.data as NumericArray, eps, whole);
        sum.nonzero += whole.total - whole.zeros;
        sum.total += whole.total;
        sum.near += whole.near;
      } else {
        sum[c.field] += scalar(t);
        if (c.field === "nonzero" && elements[c.value] !== undefined) sum.total += elements[c.value]!;
      }
    },
    onProgress: options.onProgress,
  });
  const counts = new Map<Value, ZeroCount>();
  values.forEach((v, i) => {
    const s = sums[i]!;
    const zeros = s.total - s.nonzero;
    counts.set(v, { zeros, near: eps > 0 ? s.near : zeros, total: s.total, dtype: (v.type as { elemType: number }).elemType });
  });
  return { counts, samples: count, runs, segments: segments.length };
}
