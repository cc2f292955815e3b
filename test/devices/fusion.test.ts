// Fusion as onnxruntime does it: a per-channel scale that an exporter wrote as Unsqueeze of a
// stored tensor is folded at load, so the Mul reading it still fuses into the Conv before it.
import { expect } from "chai";
import { Builder, DataType, Graph, Tensor, tensorType } from "../../ir/index.ts";
import { fusionParent } from "../../src/devices/fusion.ts";
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

  it("does not fuse when the scale comes from a model input", () => {
    expect(fusionParent(build(true), cpu)).to.equal(undefined);
  });
});
