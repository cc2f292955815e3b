// Fusion as onnxruntime does it: a per-channel scale that an exporter wrote as Unsqueeze of a
// stored tensor is folded at load, so the Mul reading it still fuses into the Conv before it.
import { expect } from "chai";
import { Builder, DataType, Graph, Tensor, tensorType } from "../../ir/index.ts";
import { fusionParent, isSkipSum } from "../../src/devices/fusion.ts";
import { kernelClass, SKIP_LAYER_NORM } from "../../src/devices/latency.ts";
import { ORT_FUSIONS } from "../../src/profiler/profile-host.ts";
import { loadProfile } from "../../src/devices/profile.ts";

describe("fusion", () => {
  const cpu = loadProfile("agx-orin").processors.cpu!;
  const build = (scaleFromInput: boolean) => {
    const g = new Graph("conv-scale");
    const b = new Builder(g);
    const x = b.input("x", tensorType(DataType.FLOAT, [1, 8, 4, 4]));
    const w = b.initializer(Tensor.fromArray("w", DataType.FLOAT, [8, 8, 1, 1], new Float32Array(64).fill(0.1)));
    const y = b.op1("Conv", [x, w], { name: "conv" });
    const axes = b.initializer(Tensor.fromArray("axes", DataType.INT64, [2], BigInt64Array.of(1n, 2n)));
    const stored = scaleFromInput ? b.input("s", tensorType(DataType.FLOAT, [8])) : b.initializer(Tensor.fromArray("s", DataType.FLOAT, [8], new Float32Array(8).fill(2)));
    const scale = b.op1("Unsqueeze", [stored, axes], { name: "unsqueeze" });
    const out = b.op1("Mul", [y, scale], { name: "mul" });
    b.output(out);
    return g.nodes.find((n) => n.name === "mul")!;
  };

  it("fuses a Mul by an Unsqueeze of an initializer into its Conv", () => {
    expect(cpu.fusion).to.include("Conv+Mul");
    expect(fusionParent(build(false), cpu)?.parent.name).to.equal("conv");
  });

  it("fuses a residual Add into the Conv that produces one side, and the Relu after it", () => {
    const g = new Graph("residual");
    const b = new Builder(g);
    const x = b.input("x", tensorType(DataType.FLOAT, [1, 8, 4, 4]));
    const w = b.initializer(Tensor.fromArray("w", DataType.FLOAT, [8, 8, 1, 1], new Float32Array(64).fill(0.1)));
    const y = b.op1("Conv", [x, w], { name: "conv" });
    const sum = b.op1("Add", [y, x], { name: "add" });
    b.output(b.op1("Relu", [sum], { name: "relu" }));
    const memo = new Map();
    const [add, relu] = ["add", "relu"].map((name) => g.nodes.find((n) => n.name === name)!);
    expect(fusionParent(add!, cpu, memo)?.parent.name).to.equal("conv");
    expect(fusionParent(relu!, cpu, memo)).to.deep.include({ parent: add, parentMustBeFused: true });
  });

  it("a post-norm residual: the bias Add joins the MatMul (one Gemm addend), the LayerNormalization joins the residual sum", () => {
    const g = new Graph("post-norm");
    const b = new Builder(g);
    const x = b.input("x", tensorType(DataType.FLOAT, [1, 4, 8]));
    const w = b.initializer(Tensor.fromArray("w", DataType.FLOAT, [8, 8], new Float32Array(64).fill(0.1)));
    const bias = b.initializer(Tensor.fromArray("bias", DataType.FLOAT, [8], new Float32Array(8).fill(0.5)));
    const gamma = b.initializer(Tensor.fromArray("gamma", DataType.FLOAT, [8], new Float32Array(8).fill(1)));
    const beta = b.initializer(Tensor.fromArray("beta", DataType.FLOAT, [8], new Float32Array(8)));
    const projected = b.op1("Add", [b.op1("MatMul", [x, w], { name: "matmul" }), bias], { name: "bias_add" });
    const sum = b.op1("Add", [x, projected], { name: "residual" });
    const normed = b.op1("LayerNormalization", [sum, gamma, beta], { name: "norm" });
    // A LayerNormalization right after a bias Add is not onnxruntime's skip pattern.
    b.output(b.op1("LayerNormalization", [b.op1("Add", [normed, bias], { name: "bias2" }), gamma, beta], { name: "norm2" }));
    const ort = { ...cpu, fusion: ORT_FUSIONS };
    const memo = new Map();
    const node = (name: string) => g.nodes.find((n) => n.name === name)!;
    expect(fusionParent(node("bias_add"), ort, memo)?.parent.name).to.equal("matmul");
    expect(fusionParent(node("residual"), ort, memo)).to.equal(undefined);
    expect(fusionParent(node("norm"), ort, memo)?.parent.name).to.equal("residual");
    expect(fusionParent(node("norm2"), ort, memo)).to.equal(undefined);
    expect([isSkipSum(node("residual")), isSkipSum(node("bias2"))]).to.deep.equal([true, false]);
    expect(kernelClass(node("residual"))).to.equal(SKIP_LAYER_NORM);
    // A profile without the pair keeps the two kernels apart.
    expect(fusionParent(node("norm"), cpu, new Map())).to.equal(undefined);
  });

  it("does not fuse when the scale comes from a model input", () => {
    expect(fusionParent(build(true), cpu)).to.equal(undefined);
  });
});
