// Stand-in for the shape-inference pass in tests that need typed values: copies onnxruntime's
// inferred dtype and shape of every main-graph value into `value.type` (values ORT could not
// type are left alone).
import type { Model } from "../../ir/model.ts";
import { tensorType } from "../../ir/types.ts";
import { ortInferredShapes } from "./ort-oracle.ts";

/** Sets `value.type` from onnxruntime for every node output of `model` (loaded from `path`); returns how many were typed. */
export async function typeFromOnnxruntime(model: Model, path: string): Promise<number> {
  const inferred = await ortInferredShapes(path);
  let typed = 0;
  for (const node of model.graph.nodes) {
    for (const v of node.outputs) {
      const o = inferred.get(v.name);
      if (!o || o.dtype === undefined || o.shape === undefined) continue;
      v.type = tensorType(o.dtype, o.shape);
      typed++;
    }
  }
  return typed;
}
