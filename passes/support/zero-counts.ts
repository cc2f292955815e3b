// Zero counts of float activations computed inside onnxruntime: for each observed value the
// exported graph gets Cast(bool) -> Cast(float) -> ReduceSum (its non-zeros) and Size (its
// elements), placed right after the node that makes it, plus Less(Abs(x), eps) for near-zeros, and only those scalars are fetched. Fetching
// every intermediate instead (calibrate.ts) copies each one out of onnxruntime, keeps them all
// alive until the run ends (so large models run in chunks, each re-running the model's prefix)
// and counts them in a JavaScript loop: 7-9x a plain inference on a ViT (docs/benchmarks.md).
// The ops used exist from opset 6 on, so any model the loader takes can be extended.
import { create } from "@bufbuild/protobuf";
import type * as ort from "onnxruntime-node";
import { DataType } from "../../ir/dtype.ts";
import type { Model } from "../../ir/model.ts";
import type { Value } from "../../ir/value.ts";
import { AttributeProtoSchema, NodeProtoSchema, TensorProtoSchema, ValueInfoProtoSchema, type GraphProto, type NodeProto } from "../../ir/onnx/proto.ts";
import { calibrationSamples, createCalibrationSession, sampleFeeds, type CalibrationOptions, type Observation } from "./calibrate.ts";

export interface ZeroCount { zeros: number; near: number; total: number; dtype: number }

/** Element types whose zeros onnxruntime counts here; other values take calibrate.ts's path. */
export function countableInGraph(v: Value): boolean {
  const t = v.type;
  return t?.kind === "tensor" && (t.elemType === DataType.FLOAT || t.elemType === DataType.DOUBLE);
}

const intAttr = (name: string, i: number) => create(AttributeProtoSchema, { name, type: 2, i: BigInt(i) });
const node = (opType: string, input: string[], output: string[], attribute = [] as ReturnType<typeof intAttr>[]) =>
  create(NodeProtoSchema, { opType, input, output, name: output[0]!, attribute });

/** Adds the counting nodes for `values` (index i -> outputs __sparoa_nz_i, __sparoa_n_i[, __sparoa_near_i]). */
function addCounters(graph: GraphProto, values: readonly Value[], eps: number): void {
  const epsName = (dtype: number) => `__sparoa_eps_${dtype}`;
  if (eps > 0) {
    graph.initializer.push(create(TensorProtoSchema, { name: epsName(DataType.FLOAT), dataType: DataType.FLOAT, dims: [], floatData: [eps] }));
    graph.initializer.push(create(TensorProtoSchema, { name: epsName(DataType.DOUBLE), dataType: DataType.DOUBLE, dims: [], doubleData: [eps] }));
  }
  // Each value's counters go right after the node that makes it: onnxruntime runs nodes in this
  // order, so appended at the end they would keep every intermediate alive until the run ends.
  const after = new Map<string, NodeProto[]>();
  values.forEach((v, i) => {
    const x = v.name;
    const list: NodeProto[] = [];
    after.set(x, list);
    const outs = [`__sparoa_nz_${i}`, `__sparoa_n_${i}`];
    // Non-zeros: x -> bool -> float, summed. Float sums of ones are exact below 2^24 elements;
    // the int64 route is exact always but measured 3-5x slower in onnxruntime's CPU kernels.
    list.push(node("Cast", [x], [`__sparoa_bool_${i}`], [intAttr("to", DataType.BOOL)]),
      node("Cast", [`__sparoa_bool_${i}`], [`__sparoa_one_${i}`], [intAttr("to", DataType.FLOAT)]),
      node("ReduceSum", [`__sparoa_one_${i}`], [`__sparoa_nzf_${i}`], [intAttr("keepdims", 0)]),
      node("Cast", [`__sparoa_nzf_${i}`], [outs[0]!], [intAttr("to", DataType.INT64)]),
      node("Size", [x], [outs[1]!]));
    if (eps > 0) {
      const dtype = v.type?.kind === "tensor" ? v.type.elemType : DataType.FLOAT;
      outs.push(`__sparoa_near_${i}`);
      list.push(
        node("Abs", [x], [`__sparoa_abs_${i}`]),
        node("Less", [`__sparoa_abs_${i}`, epsName(dtype)], [`__sparoa_lt_${i}`]),
        node("Cast", [`__sparoa_lt_${i}`], [`__sparoa_ltint_${i}`], [intAttr("to", DataType.INT64)]),
        node("ReduceSum", [`__sparoa_ltint_${i}`], [outs[2]!], [intAttr("keepdims", 0)]),
      );
    }
    for (const o of outs) graph.output.push(create(ValueInfoProtoSchema, { name: o }));
  });
  graph.node = graph.node.flatMap((n) => [n, ...n.output.flatMap((o) => after.get(o) ?? [])]);
}

const scalar = (t: ort.Tensor | undefined): number => Number((t!.data as BigInt64Array)[0]!);

/**
 * Runs the model once per calibration sample, counting the zeros of `values` (float tensors,
 * see countableInGraph) inside onnxruntime; the graph inputs of each sample go to `onInput`.
 */
export async function countZerosInGraph(model: Model, options: CalibrationOptions, values: readonly Value[], eps: number, onInput: (o: Observation) => void): Promise<{ counts: Map<Value, ZeroCount>; samples: number; runs: number }> {
  const { specs, count, sample } = calibrationSamples(model, options);
  const counts = new Map<Value, ZeroCount>(values.map((v) => [v, { zeros: 0, near: 0, total: 0, dtype: (v.type as { elemType: number }).elemType }]));
  const fetch = values.flatMap((_, i) => [`__sparoa_nz_${i}`, `__sparoa_n_${i}`, ...(eps > 0 ? [`__sparoa_near_${i}`] : [])]);
  const session = await createCalibrationSession(model, [], (graph) => addCounters(graph, values, eps));
  let runs = 0;
  try {
    for (let k = 0; k < count; k++) {
      const feeds = sampleFeeds(specs, sample(k), k, onInput);
      if (values.length > 0) {
        const out = await session.run(feeds, fetch);
        runs++;
        values.forEach((v, i) => {
          const c = counts.get(v)!;
          const total = scalar(out[`__sparoa_n_${i}`]);
          const zeros = total - scalar(out[`__sparoa_nz_${i}`]);
          c.zeros += zeros;
          c.total += total;
          c.near += eps > 0 ? scalar(out[`__sparoa_near_${i}`]) : zeros;
        });
      }
      options.onProgress?.(k + 1, count);
    }
  } finally {
    await session.release();
  }
  return { counts, samples: count, runs };
}
