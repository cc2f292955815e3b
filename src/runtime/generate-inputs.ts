// Seeded inputs for `sparoa bench` and `sparoa run` without --input, drawn as ir/random.ts
// documents (the same generator calibration and --check use); symbolic dimensions are set by
// the caller (default 1).
import type * as ort from "onnxruntime-node";
import { dtypeFromName } from "../../ir/dtype.ts";
import { GeneratedInputError, randomTensor, seededRandom } from "../../ir/random.ts";
import type { TensorSpec } from "../package/manifest.ts";
import { toOrtTensor } from "../../ort/tensor-bridge.ts";

/** One tensor per spec; `dims` sets symbolic or unknown dimensions by name (default 1). */
export function generateFeeds(specs: readonly TensorSpec[], seed = 1, dims: Record<string, number> = {}): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  specs.forEach((spec, i) => {
    const dtype = dtypeFromName(spec.dtype);
    if (dtype === undefined) throw new GeneratedInputError(`input '${spec.name}': unknown dtype '${spec.dtype}'`);
    if (!spec.shape) throw new GeneratedInputError(`input '${spec.name}': its shape is unknown; pass --input ${spec.name}=FILE`);
    const shape = spec.shape.map((d) => (typeof d === "number" ? d : dims[d ?? ""] ?? 1));
    feeds[spec.name] = toOrtTensor(randomTensor(spec.name, dtype, shape, seededRandom(seed * 7919 + i)));
  });
  return feeds;
}
