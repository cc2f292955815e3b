// Full-weight versions of the light corpus models: every ConstantOfShape that stands in for a
// weight becomes a seeded random initializer of that shape, so file sizes and weight statistics
// are those of the real architecture (ResNet-50 about 100 MB, VGG-19 about 550 MB).
import { existsSync, mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DataType, Tensor, Value, loadModel, saveModel } from "../../ir/index.ts";
import { seededRandom } from "../../ir/random.ts";

export const MODEL_CACHE = join(dirname(fileURLToPath(import.meta.url)), "..", ".models");

/** Path of the materialized copy of `lightModel` (created on first use, cached under bench/.models). */
export function materialize(lightModel: string, seed = 1): string {
  const out = join(MODEL_CACHE, basename(lightModel).replace(/^light_/, "full_"));
  if (existsSync(out)) return out;
  mkdirSync(MODEL_CACHE, { recursive: true });
  const model = loadModel(lightModel);
  const g = model.graph;
  const rand = seededRandom(seed);
  const doomed = [];
  for (const node of g.nodes) {
    const shapeInput = node.inputs[0];
    if (node.opType !== "ConstantOfShape" || !shapeInput?.initializer) continue;
    const dims = shapeInput.initializer.toNumbers();
    const size = dims.reduce((a, b) => a * b, 1);
    const fanIn = dims.length > 1 ? size / dims[0]! : 1;
    const name = node.outputs[0]!.name;
    // Variances and scales stay positive around 1; other vectors small; weights He-scaled.
    const positive = /(riv|_s_|var|scale|gamma)/i.test(name) && dims.length === 1;
    const scale = dims.length > 1 ? Math.sqrt(2 / fanIn) : 0.05;
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = positive ? 0.5 + rand() : (rand() * 2 - 1) * scale;
    const value = node.outputs[0]!;
    value.name = `${name}__constant_of_shape`;
    const init = g.addInitializer(Tensor.fromArray(name, DataType.FLOAT, dims, data), new Value(name));
    value.replaceAllUsesWith(init);
    doomed.push(node);
  }
  g.removeNodes(doomed);
  // The shape vectors the ConstantOfShape nodes read are dead now (and, IR 3 style, also inputs).
  for (const [name, v] of [...g.initializers]) {
    if (v.uses.length > 0 || g.outputs.includes(v)) continue;
    g.initializers.delete(name);
    const at = g.inputs.indexOf(v);
    if (at >= 0) g.inputs.splice(at, 1);
  }
  saveModel(model, out);
  return out;
}
