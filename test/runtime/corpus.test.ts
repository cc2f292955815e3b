// Partitioned runs of real models equal plain onnxruntime on the whole model (rtol 1e-4,
// atol 1e-5): light corpus architectures (with seeded random weights: the shipped ones output a
// constant) and npm-shipped models cut into three partitions on two devices, each first shown
// to give different outputs for two different inputs; expanded ONNX node cases cut in two and
// compared with their output_N.pb.
import { expect } from "chai";
import { existsSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import * as ort from "onnxruntime-node";
import { loadModel } from "../../ir/index.ts";
import { readTensorFile } from "../../ir/onnx/tensor-file.ts";
import { loadPackage } from "../../src/runtime/runtime.ts";
import { generateFeeds } from "../../src/runtime/generate-inputs.ts";
import { toOrtTensor } from "../../ort/tensor-bridge.ts";
import { LIGHT_MODEL_NAMES, backendCases, lightModelPath, npmModels, requireBackendTests } from "../support/corpus.ts";
import { expectInputDependent } from "../support/input-dependence.ts";
import { imageOrtTensor } from "../support/image-inputs.ts";
import { materializeNormalized } from "../support/materialize.ts";
import { expectClose, plainRun } from "./reference.ts";

/** Thirds of the node list: cpu, gpu (on the CPU here), cpu. */
function annotateThirds(path: string) {
  const m = loadModel(path);
  const n = m.graph.nodes.length;
  m.graph.nodes.forEach((node, i) => node.metadata.set("sparoa.processor", ["cpu", "gpu", "cpu"][Math.min(2, Math.floor((i * 3) / n))]!));
  return m;
}

/** Inputs the npm models need beyond seeded noise (Silero: 512 samples at 16 kHz). */
function npmFeeds(specs: { name: string; dtype: string; shape: (number | string | null)[] | null }[], seed: number): Record<string, ort.Tensor> {
  const feeds = generateFeeds(specs.map((s) => ({ ...s, shape: s.name === "state" ? [2, 1, 128] : s.name === "input" ? [1, 512] : s.shape })), seed, {
    "p2o.DynamicDimension.0": 1, "p2o.DynamicDimension.1": 64, "p2o.DynamicDimension.2": 96,
  });
  // Text detection and recognition see a page with text-like strokes: on noise PP-OCRv4 det outputs ~0 everywhere.
  const image = specs.find((s) => s.name === "x");
  if (image) feeds.x = imageOrtTensor(feeds.x!.dims, seed);
  const sr = specs.find((s) => s.name === "sr");
  if (sr) feeds.sr = new ort.Tensor("int64", BigInt64Array.from([16000n]), []);
  return feeds;
}


describe("runtime on the corpus (partitioned == whole model)", function () {
  for (const name of LIGHT_MODEL_NAMES) {
    it(`light model ${name} (seeded random weights): two inputs give different outputs; 3 partitions on cpu/gpu/cpu equal the whole model`, async function () {
      requireBackendTests(this);
      this.timeout(1_200_000); // VGG-19 (575 MB): about a minute on a quiet machine, over 10 under parallel load; the first run also measures batch-norm statistics
      const path = await materializeNormalized(lightModelPath(name));
      const rt = await loadPackage(annotateThirds(path), { processorMap: "gpu=cpu", threads: 1 });
      try {
        expect(rt.manifest.partitions.length).to.equal(3);
        expect(rt.manifest.partitions.map((p) => p.processor)).to.deep.equal(["cpu", "gpu", "cpu"]);
        const image = (seed: number) => ({ [rt.manifest.source.inputs[0]!.name]: imageOrtTensor([1, 3, 224, 224], seed) });
        const feeds = image(1);
        const expected = await plainRun(path, feeds);
        expectInputDependent(expected, await plainRun(path, image(2)), 1e-4, 1e-5, name);
        expectClose(await rt.run(feeds), expected, 1e-4, 1e-5, name);
      } finally {
        await rt.close();
      }
    });
  }

  it("has the npm-shipped models (PP-OCRv4, Silero VAD)", () => {
    expect(npmModels().length).to.be.greaterThanOrEqual(7);
  });
  for (const path of npmModels()) {
    it(`npm model ${basename(path)}: 3 partitions on cpu/gpu/cpu`, async () => {
      const rt = await loadPackage(annotateThirds(path), { processorMap: "gpu=cpu", threads: 1 });
      try {
        const feeds = npmFeeds(rt.manifest.source.inputs, 1);
        const expected = await plainRun(path, feeds);
        expectInputDependent(expected, await plainRun(path, npmFeeds(rt.manifest.source.inputs, 2)), 1e-4, 1e-5, basename(path));
        expectClose(await rt.run(feeds), expected, 1e-4, 1e-5, basename(path));
      } finally {
        await rt.close();
      }
    });
  }

  it("every expanded ONNX node case (the multi-node ones), cut in two, equals output_N.pb within ONNX's tolerances", async function () {
    requireBackendTests(this);
    this.timeout(600_000);
    const cases = backendCases("node").filter((d) => d.endsWith("_expanded"));
    let compared = 0;
    const skipped: string[] = [];
    for (const dir of cases) {
      const data = join(dir, "test_data_set_0");
      const model = loadModel(join(dir, "model.onnx"));
      const n = model.graph.nodes.length;
      if (n < 2) { skipped.push(`${basename(dir)} (one node)`); continue; }
      model.graph.nodes.forEach((node, i) => node.metadata.set("sparoa.processor", i < n / 2 ? "cpu" : "gpu"));
      const inputs = model.graph.inputs.filter((v) => !v.initializer);
      const files = readdirSync(data).filter((f) => /^input_\d+\.pb$/.test(f)).sort((a, b) => Number(a.slice(6, -3)) - Number(b.slice(6, -3)));
      let feeds: Record<string, ort.Tensor>;
      try {
        feeds = Object.fromEntries(files.map((f, i) => [inputs[i]!.name, toOrtTensor(readTensorFile(join(data, f)))]));
        await plainRun(join(dir, "model.onnx"), feeds); // cases onnxruntime itself cannot run are not ours to judge
      } catch (e) {
        skipped.push(`${basename(dir)} (${(e as Error).message.split("\n")[0]!.slice(0, 60)})`);
        continue;
      }
      const rt = await loadPackage(model, { processorMap: "gpu=cpu", threads: 1 });
      try {
        const out = await rt.run(feeds);
        const expected: Record<string, ort.Tensor> = {};
        model.graph.outputs.forEach((v, i) => {
          const file = join(data, `output_${i}.pb`);
          if (existsSync(file)) expected[v.name] = toOrtTensor(readTensorFile(file));
        });
        for (const name of Object.keys(out)) if (!(name in expected)) delete out[name];
        expectClose(out, expected, 1e-3, 1e-7, basename(dir));
        compared++;
      } finally {
        await rt.close();
      }
    }
    console.log(`      ${compared} of ${cases.length} expanded cases compared; ${skipped.length} skipped (one node, or onnxruntime cannot run the original): ${skipped.slice(0, 6).join(", ")}${skipped.length > 6 ? ", ..." : ""}`);
    expect(compared + skipped.length).to.equal(cases.length);
    expect(compared).to.be.at.least(280); // 287 of 393 on 2026-11-30
  });
});
