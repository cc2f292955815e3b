// Full-weight versions of the light corpus models: every ConstantOfShape that stands in for a
// weight becomes a seeded random initializer of that shape, so file sizes and weight statistics
// are those of the real architecture (ResNet-50 about 100 MB, VGG-19 about 550 MB). Weights are
// He-uniform (bound sqrt(6 / fan-in), variance 2 / fan-in), so activations keep their scale
// through ReLU layers: with a bound of sqrt(2 / fan-in) each layer shrank the variance by 3x and
// a deep net's output was its biases, the same for any input.
//
// `materializeNormalized` also sets every BatchNormalization's mean and variance to the
// statistics of its input on a seeded image-like input (as training leaves them), so batch-normalized nets
// (ResNet, DenseNet, Inception v2, ShuffleNet) neither explode nor die and their outputs depend
// on the input. Tests compare these outputs (see test/support/input-dependence.ts).
import { existsSync, mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DataType, Tensor, Value, loadModel, saveModel, type Model, type Node } from "../../ir/index.ts";
import type * as ort from "onnxruntime-node";
import { seededRandom } from "../../ir/random.ts";
import { imageTensor } from "./image-inputs.ts";
import { createCalibrationSession } from "../../passes/support/calibrate.ts";
import { toOrtTensor } from "../../ort/tensor-bridge.ts";

export const MODEL_CACHE = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", ".models");

/** Changes whenever the weights drawn change, so a stale cached copy is never reused. */
const VERSION = "he-uniform";

function cachePath(lightModel: string, seed: number, kind: string): string {
  return join(MODEL_CACHE, basename(lightModel).replace(/^light_/, "full_").replace(/\.onnx$/, `.${VERSION}${kind}-s${seed}.onnx`));
}

/** Path of the materialized copy of `lightModel` (created on first use, cached under bench/.models). */
export function materialize(lightModel: string, seed = 1): string {
  const out = cachePath(lightModel, seed, "");
  if (existsSync(out)) return out;
  mkdirSync(MODEL_CACHE, { recursive: true });
  saveModel(drawWeights(lightModel, seed).model, out);
  return out;
}

/** Like `materialize`, with batch-normalization statistics measured on a seeded input (models without BatchNormalization: the same file). */
export async function materializeNormalized(lightModel: string, seed = 1): Promise<string> {
  const out = cachePath(lightModel, seed, "-bn");
  if (existsSync(out)) return out;
  const { model, drawn } = drawWeights(lightModel, seed);
  const norms = model.graph.nodes.filter((n) => n.opType === "BatchNormalization");
  if (norms.length === 0) return materialize(lightModel, seed);
  await calibrateBatchNorm(model, norms, drawn, seed);
  mkdirSync(MODEL_CACHE, { recursive: true });
  saveModel(model, out);
  return out;
}

/** The light model with its ConstantOfShape weights replaced by seeded initializers (the arrays by name, to adjust in place). */
function drawWeights(lightModel: string, seed: number): { model: Model; drawn: Map<string, Float32Array> } {
  const model = loadModel(lightModel);
  const g = model.graph;
  const rand = seededRandom(seed);
  const doomed = [];
  const drawn = new Map<string, Float32Array>();
  for (const node of g.nodes) {
    const shapeInput = node.inputs[0];
    if (node.opType !== "ConstantOfShape" || !shapeInput?.initializer) continue;
    const dims = shapeInput.initializer.toNumbers();
    const size = dims.reduce((a, b) => a * b, 1);
    const fanIn = dims.length > 1 ? size / dims[0]! : 1;
    const name = node.outputs[0]!.name;
    // Variances and scales (also a vector a Mul scales by, as in Inception v2's Mul/Add after
    // each normalization) stay positive around 1; other vectors small; weights He-uniform.
    const positive = dims.length === 1 && (/(riv|_s_|var|scale|gamma)/i.test(name) || scales(node.outputs[0]!));
    const scale = dims.length > 1 ? Math.sqrt(6 / fanIn) : 0.05;
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = positive ? 0.5 + rand() : (rand() * 2 - 1) * scale;
    drawn.set(name, data);
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
  return { model, drawn };
}

/** Whether `v` reaches a Mul (through Unsqueeze or Reshape): a per-channel scale. */
function scales(v: Value): boolean {
  return v.uses.some((u) => u.node.opType === "Mul" || ((u.node.opType === "Unsqueeze" || u.node.opType === "Reshape") && u.index === 0 && scales(u.node.outputs[0]!)));
}

/**
 * Sets each BatchNormalization's mean and variance (inputs 3 and 4) to the per-channel
 * statistics of its input, level by level: a layer is measured only after every layer above it
 * is set (one run per level; all layers at once diverged on ResNet-50's residual chains).
 */
async function calibrateBatchNorm(model: Model, norms: Node[], drawn: Map<string, Float32Array>, seed: number): Promise<void> {
  const input = model.graph.inputs.find((v) => !v.initializer && v.type?.kind === "tensor")!;
  const dims = input.type?.kind === "tensor" ? (input.type.shape ?? []).map((d) => (typeof d === "number" ? d : 1)) : [];
  const feeds = { [input.name]: toOrtTensor(imageTensor(input.name, dims, seed + 1000)) };
  // Statistics the light model kept as small initializers become arrays of ours too.
  for (const norm of norms) {
    for (const at of [3, 4]) {
      const v = norm.inputs[at]!;
      if (drawn.has(v.name)) continue;
      if (!v.initializer) throw new Error(`BatchNormalization '${norm.name}': input ${at} is not a constant`);
      const data = new Float32Array(v.initializer.size);
      v.initializer = Tensor.fromArray(v.name, DataType.FLOAT, v.initializer.dims, data);
      drawn.set(v.name, data);
    }
  }
  // Level of a normalization: how many normalizations lie on the longest path above it.
  const depth = new Map<Node, number>();
  const levels: Node[][] = [];
  for (const node of model.graph.nodes) {
    const above = Math.max(0, ...node.inputs.map((v) => (v?.producer ? depth.get(v.producer) ?? 0 : 0)));
    if (node.opType === "BatchNormalization") (levels[above] ??= []).push(node);
    depth.set(node, above + (node.opType === "BatchNormalization" ? 1 : 0));
  }
  for (const level of levels) {
    if (!level) continue;
    const session = await createCalibrationSession(model, level.map((n) => n.inputs[0]!));
    try {
      const out = await session.run(feeds, level.map((n) => n.inputs[0]!.name));
      for (const norm of level) setStatistics(out[norm.inputs[0]!.name]!, drawn.get(norm.inputs[3]!.name)!, drawn.get(norm.inputs[4]!.name)!);
    } finally {
      await session.release();
    }
  }
}

function setStatistics(x: ort.Tensor, mean: Float32Array, variance: Float32Array): void {
  const data = x.data as Float32Array;
  const channels = Number(x.dims[1] ?? 1);
  const inner = x.dims.slice(2).reduce((a, b) => a * Number(b), 1);
  const batches = Number(x.dims[0] ?? 1);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    let squares = 0;
    for (let b = 0; b < batches; b++) {
      const base = (b * channels + c) * inner;
      for (let i = 0; i < inner; i++) { const v = data[base + i]!; sum += v; squares += v * v; }
    }
    const n = batches * inner;
    mean[c] = sum / n;
    // A floor keeps a nearly constant channel from being amplified into overflow.
    variance[c] = Math.max(squares / n - mean[c]! * mean[c]!, 1e-2);
  }
}
