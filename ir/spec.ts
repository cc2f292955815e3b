// What the ONNX spec requires of a model beyond the verifier's structure: IR and opset version
// ranges, known op types, attribute types, control-flow bodies, unique node names, and the type
// constraints of the common ops (Add(float, int64) is no model). onnxruntime refuses models that
// break these; `optimize` and `analyze` refuse them too, `inspect`/`convert` print a warning.
import type { Attribute, AttributeKind } from "./attribute.ts";
import { dtypeName } from "./dtype.ts";
import type { Graph } from "./graph.ts";
import type { Model } from "./model.ts";
import type { Node } from "./node.ts";

/** IR versions a model may declare (3 is the first with opset imports; onnxruntime 1.30 reads up to 13). */
export const IR_VERSION_RANGE = [3, 13] as const;
/** Opset versions of the default domain onnxruntime 1.30 implements. */
export const OPSET_RANGE = [1, 26] as const;

/** Op types of the default ONNX domain (current and deprecated ones onnxruntime still reads). */
const ONNX_OPS = new Set(("Abs Acos Acosh Add AffineGrid And ArgMax ArgMin Asin Asinh Atan Atanh Attention AveragePool " +
  "BatchNormalization Bernoulli BitCast BitShift BitwiseAnd BitwiseNot BitwiseOr BitwiseXor BlackmanWindow Cast CastLike " +
  "CausalConvWithState Ceil Celu CenterCropPad Clip Col2Im Compress Concat ConcatFromSequence Constant ConstantOfShape Conv " +
  "ConvInteger ConvTranspose Cos Cosh CumProd CumSum DFT DeformConv DepthToSpace DequantizeLinear Det Div Dropout " +
  "DynamicQuantizeLinear Einsum Elu Equal Erf Exp Expand EyeLike Flatten Floor GRU Gather GatherElements GatherND Gelu Gemm " +
  "GlobalAveragePool GlobalLpPool GlobalMaxPool Greater GreaterOrEqual GridSample GroupNormalization HammingWindow HannWindow " +
  "HardSigmoid HardSwish Hardmax Identity If ImageDecoder InstanceNormalization IsInf IsNaN LRN LSTM LayerNormalization " +
  "LeakyRelu Less LessOrEqual LinearAttention Log LogSoftmax Loop LpNormalization LpPool MatMul MatMulInteger Max MaxPool " +
  "MaxRoiPool MaxUnpool Mean MeanVarianceNormalization MelWeightMatrix Min Mish Mod Mul Multinomial Neg " +
  "NegativeLogLikelihoodLoss NonMaxSuppression NonZero Not OneHot Optional OptionalGetElement OptionalHasElement Or PRelu Pad " +
  "Pow QLinearConv QLinearMatMul QuantizeLinear RMSNormalization RNN RandomNormal RandomNormalLike RandomUniform " +
  "RandomUniformLike Range Reciprocal ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd " +
  "ReduceSum ReduceSumSquare RegexFullMatch Relu Reshape Resize ReverseSequence RoiAlign RotaryEmbedding Round STFT Scan " +
  "Scatter ScatterElements ScatterND Selu SequenceAt SequenceConstruct SequenceEmpty SequenceErase SequenceInsert " +
  "SequenceLength SequenceMap Shape Shrink Sigmoid Sign Sin Sinh Size Slice Softmax SoftmaxCrossEntropyLoss Softplus Softsign " +
  "SpaceToDepth Split SplitToSequence Sqrt Squeeze StringConcat StringNormalizer StringSplit Sub Sum SwiGLU Swish Tan Tanh " +
  "TensorScatter TfIdfVectorizer ThresholdedRelu Tile TopK Transpose Trilu Unique Unsqueeze Upsample Where Xor " +
  // Experimental ops of old opsets that onnxruntime still runs.
  "Affine Crop DynamicSlice GivenTensorFill ImageScaler ParametricSoftplus Scale ScaledTanh").split(" "));

/** The first default-domain opset of each op added after opset 1 (an op used below it does not exist there). */
const SINCE: Record<string, number> = {};
for (const [version, ops] of Object.entries({
  7: "Acos Asin Atan Cos Sin Tan Multinomial Upsample",
  8: "Expand Scan",
  9: "Acosh Asinh Atanh Cosh Sinh ConstantOfShape Erf EyeLike IsNaN MaxUnpool MeanVarianceNormalization NonZero OneHot Shrink Sign TfIdfVectorizer Where Compress Scatter",
  10: "IsInf Mod NonMaxSuppression QLinearConv QLinearMatMul QuantizeLinear DequantizeLinear ConvInteger MatMulInteger Resize ReverseSequence RoiAlign StringNormalizer ThresholdedRelu",
  11: "BitShift CumSum Det DynamicQuantizeLinear GatherElements GatherND Range Round ScatterElements ScatterND SequenceAt SequenceConstruct SequenceEmpty SequenceErase SequenceInsert SequenceLength SplitToSequence ConcatFromSequence Unique",
  12: "Celu Einsum GreaterOrEqual LessOrEqual NegativeLogLikelihoodLoss SoftmaxCrossEntropyLoss",
  14: "HardSwish Trilu",
  15: "Bernoulli CastLike Optional OptionalGetElement OptionalHasElement",
  16: "GridSample",
  17: "BlackmanWindow DFT HammingWindow HannWindow LayerNormalization MelWeightMatrix STFT SequenceMap",
  18: "BitwiseAnd BitwiseNot BitwiseOr BitwiseXor CenterCropPad Col2Im GroupNormalization Mish",
  19: "DeformConv",
  20: "AffineGrid Gelu ImageDecoder RegexFullMatch StringConcat StringSplit",
  23: "Attention RMSNormalization RotaryEmbedding",
  24: "Swish TensorScatter",
})) for (const op of ops.split(" ")) SINCE[op] = Number(version);

/** Attributes without a default: the op is not defined without them (opset range where it applies). */
const REQUIRED: Record<string, { name: string; from?: number; until?: number }[]> = {
  Concat: [{ name: "axis", from: 4 }], Cast: [{ name: "to" }], CastLike: [], LRN: [{ name: "size" }],
  DepthToSpace: [{ name: "blocksize" }], SpaceToDepth: [{ name: "blocksize" }], Einsum: [{ name: "equation" }],
  MaxPool: [{ name: "kernel_shape" }], AveragePool: [{ name: "kernel_shape" }], LpPool: [{ name: "kernel_shape" }],
  Scan: [{ name: "num_scan_inputs" }], Unsqueeze: [{ name: "axes", until: 12 }], Slice: [{ name: "starts", until: 9 }, { name: "ends", until: 9 }],
  TopK: [{ name: "k", until: 9 }], Split: [], Transpose: [], Gather: [],
};

/** Attribute kinds fixed by the spec, by attribute name, for the ops that read them in shape and cost rules. */
const ATTRIBUTE_KINDS: Record<string, AttributeKind> = {
  strides: "ints", dilations: "ints", kernel_shape: "ints", pads: "ints", output_padding: "ints", output_shape: "ints", perm: "ints",
  group: "int", axis: "int", keepdims: "int", transA: "int", transB: "int", ceil_mode: "int", count_include_pad: "int",
  storage_order: "int", to: "int", largest: "int", sorted: "int", noop_with_empty_axes: "int", blocksize: "int",
  auto_pad: "string", epsilon: "float",
  then_branch: "graph", else_branch: "graph", body: "graph",
};

/** Attribute kinds that depend on the op. */
const OP_ATTRIBUTE_KINDS: Record<string, Record<string, AttributeKind>> = {
  Constant: { value: "tensor", sparse_value: "sparse_tensor", value_float: "float", value_floats: "floats", value_int: "int", value_ints: "ints", value_string: "string", value_strings: "strings" },
  ConstantOfShape: { value: "tensor" },
};

/** Input and output counts [min, max] of the common ops (the schema's arity; optional trailing inputs count). */
const ARITY: Record<string, { inputs: [number, number]; outputs: [number, number] }> = {};
const unary = "Relu Sigmoid Tanh Abs Neg Exp Log Sqrt Floor Ceil Reciprocal Not Sign Sin Cos Tan Asin Acos Atan Sinh Cosh Asinh Acosh Atanh Erf Softplus Softsign Elu LeakyRelu Selu HardSigmoid HardSwish Mish Gelu Identity Shape Size Flatten Softmax LogSoftmax Hardmax GlobalAveragePool GlobalMaxPool GlobalLpPool IsNaN IsInf Round Celu ThresholdedRelu Transpose DepthToSpace SpaceToDepth LRN NonZero";
for (const op of unary.split(" ")) ARITY[op] = { inputs: [1, 1], outputs: [1, 1] };
const binary = "Add Sub Mul Div Pow Mod Equal Less Greater LessOrEqual GreaterOrEqual And Or Xor BitShift BitwiseAnd BitwiseOr BitwiseXor PRelu MatMul";
for (const op of binary.split(" ")) ARITY[op] = { inputs: [2, 2], outputs: [1, 1] };
Object.assign(ARITY, {
  Conv: { inputs: [2, 3], outputs: [1, 1] }, ConvTranspose: { inputs: [2, 3], outputs: [1, 1] }, Gemm: { inputs: [2, 3], outputs: [1, 1] },
  Where: { inputs: [3, 3], outputs: [1, 1] }, Concat: { inputs: [1, Infinity], outputs: [1, 1] }, Gather: { inputs: [2, 2], outputs: [1, 1] },
  MaxPool: { inputs: [1, 1], outputs: [1, 2] }, AveragePool: { inputs: [1, 1], outputs: [1, 1] },
  BatchNormalization: { inputs: [5, 5], outputs: [1, 5] }, Sum: { inputs: [1, Infinity], outputs: [1, 1] }, Max: { inputs: [1, Infinity], outputs: [1, 1] },
  Min: { inputs: [1, Infinity], outputs: [1, 1] }, Mean: { inputs: [1, Infinity], outputs: [1, 1] }, Dropout: { inputs: [1, 3], outputs: [1, 2] },
});

/** Ops whose listed inputs share one type variable `T` (input indices; "all" = every input). */
const SAME_TYPE: Record<string, readonly number[] | "all"> = {
  Add: "all", Sub: "all", Mul: "all", Div: "all", Mod: "all", Max: "all", Min: "all", Mean: "all", Sum: "all",
  Equal: "all", Less: "all", Greater: "all", LessOrEqual: "all", GreaterOrEqual: "all", And: "all", Or: "all", Xor: "all",
  BitwiseAnd: "all", BitwiseOr: "all", BitwiseXor: "all", BitShift: "all", PRelu: "all", Concat: "all",
  MatMul: [0, 1], Gemm: [0, 1, 2], Conv: [0, 1, 2], ConvTranspose: [0, 1, 2], Where: [1, 2], Clip: [0, 1, 2],
  InstanceNormalization: [0, 1, 2], LayerNormalization: [0, 1, 2],
};

/** Spatial attributes that must be >= 1 (a zero stride makes shape rules divide by zero). */
const POSITIVE_INTS = new Set(["strides", "dilations", "kernel_shape"]);
const INT32_MAX = 2n ** 31n - 1n;

const isDefaultDomain = (d: string) => d === "" || d === "ai.onnx";

function label(node: Node): string {
  return node.name ? `node '${node.name}' (${node.opType})` : `${node.opType || "(empty op type)"} node`;
}

/** Every spec problem of `model`, each naming the graph, node and rule; empty when none. */
export function specProblems(model: Model): string[] {
  const problems: string[] = [];
  const [irLo, irHi] = IR_VERSION_RANGE;
  if (!Number.isInteger(model.irVersion) || model.irVersion < irLo || model.irVersion > irHi) {
    problems.push(`model: ir_version ${model.irVersion} is outside ${irLo}..${irHi}`);
  }
  for (const [domain, version] of model.opsetImports) {
    if (!Number.isInteger(version) || version < 1) problems.push(`model: opset import '${domain || "ai.onnx"}' has version ${version} (must be >= 1)`);
  }
  const opset = model.opset("");
  const usesDefault = [...model.graph.allNodes()].some((n) => isDefaultDomain(n.domain));
  if (usesDefault && opset === undefined) problems.push("model: nodes of the ONNX domain but no opset import for it (ai.onnx)");
  else if (opset !== undefined && opset > OPSET_RANGE[1]) problems.push(`model: ai.onnx opset ${opset} is outside ${OPSET_RANGE[0]}..${OPSET_RANGE[1]}`);
  for (const graph of model.graph.allGraphs()) checkGraph(graph, problems, opset);
  checkInputs(model.graph, problems);
  return problems;
}

function checkGraph(graph: Graph, problems: string[], opset: number | undefined): void {
  const at = `graph '${graph.name}'`;
  const names = new Set<string>();
  for (const node of graph.nodes) {
    const where = `${at}: ${label(node)}`;
    if (node.name !== "") {
      if (names.has(node.name)) problems.push(`${at}: node name '${node.name}' is used by more than one node`);
      names.add(node.name);
    }
    if (node.opType === "") { problems.push(`${where}: empty op type`); continue; }
    if (!isDefaultDomain(node.domain)) continue;
    if (!ONNX_OPS.has(node.opType)) { problems.push(`${where}: unknown op type '${node.opType}' in the ONNX domain`); continue; }
    const since = SINCE[node.opType];
    if (since !== undefined && opset !== undefined && opset < since) problems.push(`${where}: ${node.opType} exists from opset ${since}, the model imports opset ${opset}`);
    for (const req of REQUIRED[node.opType] ?? []) {
      const applies = opset === undefined || ((req.from ?? 0) <= opset && opset <= (req.until ?? Infinity));
      if (applies && !node.attributes.has(req.name)) problems.push(`${where}: required attribute '${req.name}' is missing`);
    }
    for (const attr of node.attributes.values()) checkAttribute(node, attr, where, problems);
    const arity = ARITY[node.opType];
    if (arity) {
      // Trailing empty names are absent optional inputs.
      let given = node.inputs.length;
      while (given > 0 && (node.inputs[given - 1] === null || node.inputs[given - 1]!.name === "")) given--;
      const [lo, hi] = arity.inputs;
      if (given < lo || node.inputs.length > hi) problems.push(`${where}: takes ${lo === hi ? lo : `${lo}..${hi === Infinity ? "n" : hi}`} inputs, it has ${node.inputs.length}`);
      const [olo, ohi] = arity.outputs;
      if (node.outputs.length < olo || node.outputs.length > ohi) problems.push(`${where}: has ${olo === ohi ? olo : `${olo}..${ohi}`} outputs, it declares ${node.outputs.length}`);
    }
    const needs = node.opType === "If" ? ["then_branch", "else_branch"] : node.opType === "Loop" || node.opType === "Scan" ? ["body"] : [];
    for (const name of needs) if (node.attr(name)?.kind !== "graph") problems.push(`${where}: attribute '${name}' (a graph) is required`);
    checkSameType(node, where, problems);
  }
}

/** Declared graph-input dims: not negative, and equal to the initializer's dims when the input has one (IR < 4 style). */
function checkInputs(graph: Graph, problems: string[]): void {
  for (const input of graph.inputs) {
    const t = input.type;
    if (t?.kind !== "tensor" || !t.shape) continue;
    if (t.shape.some((d) => typeof d === "number" && d < 0)) { problems.push(`graph input '${input.name}': declared dims [${t.shape.join(",")}] hold a negative size`); continue; }
    const init = input.initializer;
    if (init && (init.dims.length !== t.shape.length || t.shape.some((d, i) => typeof d === "number" && d !== init.dims[i]))) {
      problems.push(`graph input '${input.name}': declared dims [${t.shape.join(",")}] differ from its initializer's [${init.dims.join(",")}]`);
    }
  }
}

function checkAttribute(node: Node, attr: Attribute, where: string, problems: string[]): void {
  if (attr.kind === "ref") return; // typed by the enclosing function's caller
  if (attr.kind === "opaque") { problems.push(`${where}: attribute '${attr.name}' has no valid type`); return; }
  const want = OP_ATTRIBUTE_KINDS[node.opType]?.[attr.name] ?? (node.opType === "Constant" ? undefined : ATTRIBUTE_KINDS[attr.name]);
  // Pad-2's `pads` and Split's `split` are ints everywhere; `value`/`mode` vary by op and are left out.
  if (want && attr.kind !== want) { problems.push(`${where}: attribute '${attr.name}' must be ${want}, it is ${attr.kind}`); return; }
  if (attr.kind === "ints" && POSITIVE_INTS.has(attr.name) && attr.value.some((v) => v < 1n)) {
    problems.push(`${where}: attribute '${attr.name}' = [${attr.value.join(",")}] must be >= 1`);
  }
  // onnxruntime's kernels hold these in 32-bit arithmetic: a stride of 2^63-1 crashed its Conv with
  // SIGFPE (fuzz campaign, seed 2026 case 8760), killing the process instead of raising an error.
  if (attr.kind === "ints" && (POSITIVE_INTS.has(attr.name) || attr.name === "pads") && attr.value.some((v) => v > INT32_MAX)) {
    problems.push(`${where}: attribute '${attr.name}' = [${attr.value.join(",")}] exceeds ${INT32_MAX}`);
  }
  if (attr.kind === "ints" && attr.name === "pads" && node.opType !== "Pad" && attr.value.some((v) => v < 0n)) {
    problems.push(`${where}: attribute 'pads' = [${attr.value.join(",")}] must be >= 0`);
  }
  if (attr.kind === "int" && attr.name === "group" && attr.value < 1n) problems.push(`${where}: attribute 'group' = ${attr.value} must be >= 1`);
}

function checkSameType(node: Node, where: string, problems: string[]): void {
  const spec = SAME_TYPE[node.opType];
  if (!spec) return;
  const indices = spec === "all" ? node.inputs.map((_, i) => i) : spec;
  let first: { index: number; elemType: number } | undefined;
  for (const i of indices) {
    const t = node.inputs[i]?.type;
    if (!node.inputs[i] || node.inputs[i]!.name === "" || t?.kind !== "tensor" || !t.elemType) continue;
    if (!first) { first = { index: i, elemType: t.elemType }; continue; }
    if (t.elemType !== first.elemType) {
      problems.push(`${where}: inputs ${first.index} and ${i} must have the same element type (T), they are ${dtypeName(first.elemType)} and ${dtypeName(t.elemType)}`);
      return;
    }
  }
}
