// Activation sparsity against an independent count: onnxruntime run here with every
// intermediate exposed at once, zeros counted from the full tensors.
import { expect } from "chai";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { Builder, DataType, Graph, Model, Tensor, loadModel, modelBytes, tensorType, type Value } from "../../ir/index.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { NodeKey, ValueKey } from "../../ir/annotation-keys.ts";
import { PassManager } from "../../passes/manager.ts";
import { instantiate, parsePipeline } from "../../passes/pipeline.ts";
import { ConstantOracle } from "../../ir/constants.ts";
import { calibrate, calibrationSamples } from "../../passes/support/calibrate.ts";
import { countableInGraph, countZerosInGraph } from "../../passes/support/zero-counts.ts";
import { chainModel } from "../support/chain-model.ts";
import { CalibrationInputError } from "../../passes/support/calibration-inputs.ts";
import { npyBytes } from "../../src/io/npy.ts";
import { toOrtTensor } from "../../ort/tensor-bridge.ts";
import { FIXTURES, BACKEND_TESTS, requireBackendTests } from "../support/corpus.ts";
import { exposeAllValues, QUIET } from "../support/ort-oracle.ts";
import { materialize } from "../support/materialize.ts";

registerBuiltinPasses();

async function runPipelineText(model: Model, text: string): Promise<void> {
  await new PassManager(instantiate(parsePipeline(text))).run(model);
}

interface Count { zeros: number; total: number }

/** Zero counts per value name, from one onnxruntime run per sample with everything exposed. */
async function independentCounts(path: string, samples: number, seed: number): Promise<Map<string, Count>> {
  const model = loadModel(path);
  const inputs = calibrationSamples(model, { samples, seed });
  exposeAllValues(model);
  const session = await ort.InferenceSession.create(modelBytes(model), QUIET);
  const counts = new Map<string, Count>();
  const add = (name: string, data: ArrayLike<number>) => {
    const c = counts.get(name) ?? { zeros: 0, total: 0 };
    for (let i = 0; i < data.length; i++) if (data[i] === 0) c.zeros++;
    c.total += data.length;
    counts.set(name, c);
  };
  for (let k = 0; k < inputs.count; k++) {
    const sample = inputs.sample(k);
    const feeds = Object.fromEntries([...sample].map(([name, t]) => [name, toOrtTensor(t)]));
    for (const [name, t] of sample) add(name, t.toArray() as Float32Array);
    const out = await session.run(feeds);
    for (const [name, t] of Object.entries(out)) if ((t as ort.Tensor).type === "float32") add(name, (t as ort.Tensor).data as Float32Array);
  }
  await session.release();
  return counts;
}

/** Checks every annotation of `model` against the independent counts. Returns how many nodes were compared. */
function expectSameAsIndependent(model: Model, counts: Map<string, Count>): number {
  const oracle = new ConstantOracle();
  const live = (v: Value) => v.uses.length > 0 || v.isGraphOutput;
  const frac = (vs: Value[]) => {
    const cs = vs.map((v) => counts.get(v.name)).filter((c): c is Count => c !== undefined);
    const total = cs.reduce((a, c) => a + c.total, 0);
    return total === 0 ? undefined : cs.reduce((a, c) => a + c.zeros, 0) / total;
  };
  let compared = 0;
  for (const node of model.graph.nodes) {
    const ins = node.inputs.filter((v): v is Value => v !== null && !oracle.isConstant(v));
    const outs = node.outputs.filter((v) => !oracle.isConstant(v) && live(v));
    expect(node.annotations.get(NodeKey.inputSparsity), `${node.name} input sparsity`).to.equal(frac(ins));
    expect(node.annotations.get(NodeKey.outputSparsity), `${node.name} output sparsity`).to.equal(frac(outs));
    for (const v of node.outputs) if (counts.has(v.name)) expect(v.annotations.get(ValueKey.zeroFraction), v.name).to.equal(frac([v]));
    if (frac(ins) !== undefined) compared++;
  }
  return compared;
}

describe("activation-sparsity pass", function () {
  const tiny = join(FIXTURES, "tiny-cnn.onnx");

  it("equals zeros counted from the full intermediate tensors (tiny-cnn, 4 samples)", async () => {
    const model = loadModel(tiny);
    await runPipelineText(model, "activation-sparsity{samples=4,seed=3}");
    const compared = expectSameAsIndependent(model, await independentCounts(tiny, 4, 3));
    expect(compared).to.equal(9);
    // With static shapes known, small values are fetched whole and big ones take their element count from the IR.
    const typed = loadModel(tiny);
    await runPipelineText(typed, "shape-inference,activation-sparsity{samples=4,seed=3}");
    expect(expectSameAsIndependent(typed, await independentCounts(tiny, 4, 3))).to.equal(9);
    const relu = model.graph.nodes.find((n) => n.opType === "Relu")!;
    // A ReLU over a normal-ish pre-activation zeroes about half of it.
    expect(relu.annotations.get(NodeKey.outputSparsity)).to.be.within(0.3, 0.7);
  });

  it("is reproducible with a fixed seed and changes with the seed", async () => {
    const sparsities = async (seed: number) => {
      const model = loadModel(tiny);
      await runPipelineText(model, `activation-sparsity{samples=3,seed=${seed}}`);
      return model.graph.nodes.map((n) => n.annotations.get(NodeKey.outputSparsity));
    };
    const a = await sparsities(11);
    expect(await sparsities(11)).to.deep.equal(a);
    expect(await sparsities(12)).to.not.deep.equal(a);
  });

  it("on a real model with ReLUs (SqueezeNet 1.0, full weights): same numbers as the independent count, chunked or not", async function () {
    requireBackendTests(this);
    const path = materialize(join(BACKEND_TESTS, "light", "light_squeezenet.onnx"));
    const counts = await independentCounts(path, 2, 0);
    const whole = loadModel(path);
    await runPipelineText(whole, "activation-sparsity{samples=2,seed=0}");
    const compared = expectSameAsIndependent(whole, counts);
    // 4 MiB per run splits the intermediates into many chunks; the numbers must not move.
    const chunked = loadModel(path);
    await runPipelineText(chunked, "activation-sparsity{samples=2,seed=0,chunk-mb=4}");
    expectSameAsIndependent(chunked, counts);
    const reluOut = whole.graph.nodes.filter((n) => n.opType === "Relu").map((n) => n.annotations.get(NodeKey.outputSparsity) as number);
    const mean = reluOut.reduce((a, b) => a + b, 0) / reluOut.length;
    console.log(`      squeezenet: ${compared} nodes compared; mean ReLU output sparsity ${(100 * mean).toFixed(1)}% over ${reluOut.length} ReLUs`);
    expect(mean).to.be.within(0.2, 0.9);
  });

  it("reports |x| < eps separately from exact zeros", async () => {
    const model = loadModel(tiny);
    await runPipelineText(model, "activation-sparsity{samples=2,eps=0.5}");
    for (const n of model.graph.nodes) {
      const exact = n.annotations.get(NodeKey.outputSparsity) as number;
      const near = n.annotations.get(NodeKey.outputNearZero) as number;
      expect(near, n.name).to.be.at.least(exact);
    }
    const conv = model.graph.nodes.find((n) => n.opType === "Conv")!;
    expect(conv.annotations.get(NodeKey.outputNearZero)).to.be.greaterThan(conv.annotations.get(NodeKey.outputSparsity) as number);
    // With eps the combined sparsity uses the near-zero fraction.
    const pool = model.graph.nodes.find((n) => n.name === "pool1")!;
    expect(pool.annotations.get(NodeKey.sparsity)).to.equal(pool.annotations.get(NodeKey.inputNearZero));
  });

  describe("segments (issue 14: a sub-model per run of nodes, fed with the previous one's values)", () => {
    /** Zero counts of every float value, in-graph and fetched, cut into segments of `segmentNodes` nodes. */
    async function countsBySegments(model: Model, segmentNodes: number | undefined, eps = 0): Promise<{ inGraph: unknown[]; fetched: Map<string, number>; segments: number; chunks: number }> {
      const values = model.graph.nodes.flatMap((n) => n.outputs).filter((v) => countableInGraph(v) && !v.initializer);
      const r = await countZerosInGraph(model, { samples: 2, seed: 1, segmentNodes }, values, eps, () => {});
      const fetched = new Map<string, number>();
      const summary = await calibrate(model, { samples: 2, seed: 1, segmentNodes }, (o) => {
        let zeros = 0;
        for (let i = 0; i < o.data.length; i++) if (o.data[i] === 0) zeros++;
        fetched.set(o.value.name, (fetched.get(o.value.name) ?? 0) + zeros);
      });
      return { inGraph: values.map((v) => r.counts.get(v)), fetched, segments: r.segments, chunks: summary.chunks };
    }

    it("gives the same counts as the whole graph on a real model (SqueezeNet 1.0) and on tiny-cnn", async function () {
      const typed = loadModel(tiny);
      await runPipelineText(typed, "shape-inference");
      const models = [loadModel(tiny), typed];
      if (existsSync(join(BACKEND_TESTS, "light"))) models.push(loadModel(materialize(join(BACKEND_TESTS, "light", "light_squeezenet.onnx"))));
      for (const model of models) {
        const whole = await countsBySegments(model, undefined, 0.01);
        const cut = await countsBySegments(model, 3, 0.01);
        expect(whole.segments).to.equal(1);
        expect(cut.segments).to.be.greaterThan(2);
        expect(cut.chunks).to.be.greaterThan(2);
        expect(cut.inGraph).to.deep.equal(whole.inGraph);
        expect([...cut.fetched]).to.deep.equal([...whole.fetched]);
        expect(whole.fetched.size).to.be.greaterThan(5);
      }
    });

    it("runs a 5,000-node chain in segments with the counts of an independent run", async () => {
      const model = chainModel(5_000);
      await runPipelineText(model, "shape-inference");
      const values = model.graph.nodes.map((n) => n.outputs[0]!);
      const r = await countZerosInGraph(model, { samples: 1, seed: 0 }, values, 0, () => {});
      expect(r.segments).to.equal(5);
      // Independent: the chain's arithmetic in float32, as onnxruntime does it.
      const w = model.graph.initializers.get("w")!.initializer!.toArray() as Float32Array;
      const x = Float32Array.from(calibrationSamples(model, { samples: 1, seed: 0 }).sample(0).get("x")!.toArray() as Float32Array);
      values.forEach((v, i) => {
        let zeros = 0;
        for (let j = 0; j < x.length; j++) {
          x[j] = i % 2 === 0 ? Math.fround(x[j]! * w[j]!) : Math.max(0, x[j]!);
          if (x[j] === 0) zeros++;
        }
        expect(r.counts.get(v), v.name).to.deep.include({ zeros, total: x.length });
      });
    });
  });

  describe("calibration inputs", () => {
    let dir: string;
    before(() => { dir = mkdtempSync(join(tmpdir(), "sparoa-calib-")); });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("user .npy files give the same numbers as the generated samples they hold", async () => {
      const model = loadModel(tiny);
      const gen = calibrationSamples(model, { samples: 2, seed: 5 });
      const files = [0, 1].map((k) => {
        const f = join(dir, `image${k}.npy`);
        writeFileSync(f, npyBytes(gen.sample(k).get("image")!));
        return f;
      });
      const fromGen = loadModel(tiny);
      await runPipelineText(fromGen, "activation-sparsity{samples=2,seed=5}");
      const fromFiles = loadModel(tiny);
      await runPipelineText(fromFiles, `activation-sparsity{inputs=image=${files[0]};image=${files[1]}}`);
      expect(fromFiles.graph.nodes.map((n) => n.annotations.get(NodeKey.outputSparsity))).to.deep.equal(fromGen.graph.nodes.map((n) => n.annotations.get(NodeKey.outputSparsity)));
    });

    it("a stacked .npy (N x input shape) is N samples", () => {
      const model = loadModel(tiny);
      const f = join(dir, "stack.npy");
      writeFileSync(f, npyBytes(Tensor.fromArray("s", DataType.FLOAT, [3, 1, 3, 32, 32], new Float32Array(3 * 3 * 32 * 32))));
      expect(calibrationSamples(model, { files: new Map([["image", [f]]]) }).count).to.equal(3);
    });

    it("rejects wrong names, element types and shapes, naming the input and the expected type", () => {
      const model = loadModel(tiny);
      const wrongType = join(dir, "f64.npy");
      writeFileSync(wrongType, npyBytes(Tensor.fromArray("x", DataType.DOUBLE, [1, 3, 32, 32], new Float64Array(3 * 32 * 32))));
      const wrongShape = join(dir, "small.npy");
      writeFileSync(wrongShape, npyBytes(Tensor.fromArray("x", DataType.FLOAT, [1, 3, 16, 16], new Float32Array(3 * 16 * 16))));
      const attempt = (name: string, file: string) => () => calibrationSamples(model, { files: new Map([[name, [file]]]) });
      expect(attempt("imag", wrongType)).to.throw(CalibrationInputError, /'imag' is not an input of the model \(did you mean 'image'\?\); inputs: image/);
      expect(attempt("image", wrongType)).to.throw(CalibrationInputError, /calibration input 'image' \(.*f64\.npy\): element type f64, expected f32\[1,3,32,32\]/);
      expect(attempt("image", wrongShape)).to.throw(CalibrationInputError, /calibration input 'image' \(.*small\.npy\): shape \[1,3,16,16\], expected f32\[1,3,32,32\]/);
    });

    it("binds a leading symbolic dimension to 1 and asks for --input-shape for any other", async () => {
      const twoBranch = loadModel(join(FIXTURES, "two-branch.onnx"));
      let seen: readonly number[] = [];
      await calibrate(twoBranch, { samples: 1, values: [] }, (o) => { if (o.value.name === "x") seen = o.dims; });
      expect(seen).to.deep.equal([1, 256]);

      const g = new Graph("seq");
      const b = new Builder(g);
      b.output(b.op1("Relu", [b.input("tokens", tensorType(DataType.FLOAT, ["batch", "seq"]))]));
      const m = new Model(g, { irVersion: 8, opsets: { "": 13 } });
      expect(() => calibrationSamples(m, {})).to.throw(CalibrationInputError, /input 'tokens' has symbolic dimension 'seq' at axis 1 .*pass --input-shape tokens=1xN/);
      expect(calibrationSamples(m, { inputShapes: new Map([["tokens", [2, 7]]]) }).sample(0).get("tokens")!.dims).to.deep.equal([2, 7]);
      expect(() => calibrationSamples(m, { inputShapes: new Map([["token", [2, 7]]]) })).to.throw(CalibrationInputError, /--input-shape names 'token' is not an input of the model \(did you mean 'tokens'\?\)/);
    });
  });

  it("with if-unrunnable=warn, a model onnxruntime cannot run is skipped with a warning", async () => {
    const g = new Graph("custom");
    const b = new Builder(g);
    const x = b.input("x", tensorType(DataType.FLOAT, [1, 4]));
    b.output(b.op1("Relu", [b.op1("Mystery", [b.op1("Relu", [x])], { domain: "com.example" })]));
    const m = new Model(g, { irVersion: 8, opsets: { "": 13, "com.example": 1 } });
    const runs = await new PassManager(instantiate([{ name: "activation-sparsity", options: { "if-unrunnable": "warn" } }])).run(m);
    const own = runs.find((r) => r.pass.name === "activation-sparsity")!;
    expect(own.messages.join("\n")).to.match(/activation sparsity skipped: onnxruntime cannot run the model/);
    let failed: unknown;
    try { await runPipelineText(m, "activation-sparsity"); } catch (e) { failed = e; }
    expect(String(failed)).to.match(/pass 'activation-sparsity' failed/);
  });
});
