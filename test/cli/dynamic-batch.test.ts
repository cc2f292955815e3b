// "Real models work without flags": a torchvision-style export whose first input dimension is the
// symbol N (fixtures/tiny-resnet-n.onnx, made by fixtures/make-fixtures.ts) goes through every
// command with the same behaviour (N bound to 1 or --batch, said in one note), the package keeps
// N symbolic and runs at the planned batch, a moved package still runs and benches against a
// named baseline, and the annotated model copied out alone says where its weights are.
import { expect } from "chai";
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Builder, DataType, Graph, Model, saveModel, tensorType } from "../../ir/index.ts";
import { loadModel } from "../../ir/onnx/file.ts";
import { tinyResnetDynamicBatch } from "../../fixtures/make-fixtures.ts";
import { generateFeeds } from "../../src/runtime/generate-inputs.ts";
import { runOrtSession } from "../support/ort-run.ts";
import { FIXTURES } from "../support/corpus.ts";
import { runAll, runSparoa } from "../support/sparoa-cli.ts";

const MODEL = join(FIXTURES, "tiny-resnet-n.onnx");
const NOTE = "sparoa: note: dimension 'N' of input 'input' taken as the batch and bound to";

/** A model whose input has a symbolic dimension that is not the batch (H): that one must be refused. */
function symbolicHeight(): Model {
  const g = new Graph("g");
  const b = new Builder(g);
  const x = b.input("x", tensorType(DataType.FLOAT, ["N", 3, "H", 8]));
  const y = b.op1("Relu", [x], { name: "relu" });
  y.name = "y";
  b.output(y);
  return new Model(g, { irVersion: 8, opsets: { "": 13 } });
}

describe("dynamic batch: one behaviour on every command", function () {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), "sparoa-batch-")); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the fixture is what make-fixtures builds, with N as its leading dimension", () => {
    const fresh = join(dir, "fresh.onnx");
    saveModel(tinyResnetDynamicBatch(), fresh);
    expect(readFileSync(fresh).equals(readFileSync(MODEL)), "fixtures/tiny-resnet-n.onnx is stale: run fixtures/make-fixtures.ts").to.equal(true);
    const input = loadModel(MODEL).graph.inputs[0]!;
    expect(input.type).to.deep.include({ shape: ["N", 3, 32, 32] });
  });

  it("analyze, plan, inspect --passes and optimize run without flags, each with the one-line note", async () => {
    const [analyze, plan, inspect, optimize, analyze4] = await runAll([
      () => runSparoa(["analyze", MODEL, "--json", "--samples", "2"]),
      () => runSparoa(["plan", MODEL, "--device", "orin-nano", "--search-ms", "200"]),
      () => runSparoa(["inspect", MODEL, "--passes", "shape-inference,cost"]),
      () => runSparoa(["optimize", MODEL, "-o", join(dir, "pkg1"), "--samples", "2"]),
      () => runSparoa(["analyze", MODEL, "--json", "--samples", "2", "--batch", "4"]),
    ]);
    for (const r of [analyze, plan, inspect, optimize]) {
      expect(r!.code, r!.stderr).to.equal(0);
      expect(r!.stderr).to.contain(`${NOTE} 1 (--batch N or --input-shape to choose another size)\n`);
    }
    expect(inspect!.stdout).to.contain("%input: f32[1,3,32,32]");
    expect(analyze4!.stderr).to.contain(`${NOTE} 4 (--batch)\n`);
    // Cost has concrete sizes: conv1's FLOPs at batch 4 are four times those at batch 1.
    const flops = (r: string) => (JSON.parse(r) as { nodes: { name: string; flops: number }[] }).nodes.find((n) => n.name === "conv1")!.flops;
    expect(flops(analyze!.stdout)).to.be.greaterThan(0);
    expect(flops(analyze4!.stdout)).to.equal(4 * flops(analyze!.stdout));
  });

  it("refuses only a dynamic dimension that is not the batch, naming it, on every command", async () => {
    const path = join(dir, "height.onnx");
    saveModel(symbolicHeight(), path);
    const results = await runAll([
      () => runSparoa(["analyze", path]),
      () => runSparoa(["plan", path, "--device", "orin-nano"]),
      () => runSparoa(["optimize", path, "-o", join(dir, "never")]),
      () => runSparoa(["inspect", path, "--batch", "2"]),
      () => runSparoa(["run", path]),
    ]);
    results.slice(0, 4).forEach((r, i) => {
      const batch = i === 3 ? 2 : 1;
      expect(r.code).to.equal(1);
      expect(r.stderr).to.equal(`sparoa: error: input 'x' [${batch},3,H,8] has dimension 'H' at axis 2 that is not the batch; pass --input-shape x=${batch}x3xSIZEx8 with the size you will run with\n`);
    });
    expect(results[4]!.stderr).to.equal("sparoa: error: input 'x' [N,3,H,8]: dimension 'H' at axis 2 needs a size: pass --dim H=SIZE or --input-shape x=SIZEx3xSIZEx8\n");
    const ok = await runSparoa(["analyze", path, "--input-shape", "x=2x3x5x8", "--samples", "1"]);
    expect(ok.code, ok.stderr).to.equal(0);
  });

  it("a package planned at batch 8 keeps N symbolic, runs at 8 by default and at --batch, as onnxruntime does", async () => {
    const pkg = join(dir, "pkg8");
    const opt = await runSparoa(["optimize", MODEL, "-o", pkg, "--batch", "8", "--samples", "2"]);
    expect(opt.code, opt.stderr).to.equal(0);
    expect(opt.stderr).to.contain(`${NOTE} 8 (--batch)`);
    const manifest = JSON.parse(readFileSync(join(pkg, "manifest.json"), "utf8")) as { source: { inputs: { shape: unknown[] }[] }; plan: { inputShapes: Record<string, number[]> } };
    expect(manifest.source.inputs[0]!.shape).to.deep.equal(["N", 3, 32, 32]);
    expect(manifest.plan.inputShapes.input).to.deep.equal([8, 3, 32, 32]);
    const [text, two] = await runAll([() => runSparoa(["run", pkg]), () => runSparoa(["run", pkg, "--batch", "2", "--json"])]);
    expect(text!.code, text!.stderr).to.equal(0);
    expect(text!.stdout).to.contain("inputs: generated (seed 1, batch 8, as planned): input float32[8,3,32,32]\n");
    expect(text!.stdout).to.contain("output: float32[8,10]");
    const json = JSON.parse(two!.stdout) as { inputs: { generated: boolean; shapes: Record<string, number[]> }; outputs: Record<string, { shape: number[]; data: number[] }> };
    expect(json.inputs).to.deep.equal({ generated: true, seed: 1, shapes: { input: [2, 3, 32, 32] } });
    const feeds = generateFeeds([{ name: "input", dtype: "f32", shape: [2, 3, 32, 32] }], 1);
    const expected = (await runOrtSession(MODEL, feeds)).outputs.output!;
    expect(json.outputs.output!.shape).to.deep.equal([2, 10]);
    const want = Array.from(expected.data as Float32Array);
    json.outputs.output!.data.forEach((v, i) => expect(v).to.be.closeTo(want[i]!, 1e-4));
  });

  it("a moved package runs; bench says the baseline is missing and takes --baseline MODEL; the annotated model alone says where its weights are", async () => {
    const pkg = join(dir, "pkg-moved-src");
    const opt = await runSparoa(["optimize", join(FIXTURES, "two-branch.onnx"), "-o", pkg, "--no-calibrate"]);
    expect(opt.code, opt.stderr).to.equal(0);
    const moved = join(dir, "elsewhere", "deeper", "pkg");
    cpSync(pkg, moved, { recursive: true });
    rmSync(pkg, { recursive: true });
    const alone = join(dir, "alone.onnx");
    copyFileSync(join(moved, "model.annotated.onnx"), alone);
    const bench = ["-n", "4", "--rounds", "1", "--warmup", "1", "--json"];
    const [run, noBase, withBase, annotatedInside, annotatedAlone] = await runAll([
      () => runSparoa(["run", moved, "--json"]),
      () => runSparoa(["bench", moved, ...bench]),
      () => runSparoa(["bench", moved, ...bench, "--baseline", join(FIXTURES, "two-branch.onnx")]),
      () => runSparoa(["run", join(moved, "model.annotated.onnx")]),
      () => runSparoa(["run", alone]),
    ], 3);
    expect(run!.code, run!.stderr).to.equal(0);
    const noBaseJson = JSON.parse(noBase!.stdout) as { onnxruntime?: unknown; notes: string[] };
    expect(noBaseJson.onnxruntime).to.equal(undefined);
    expect(noBaseJson.notes.some((n) => n.includes("pass --baseline MODEL"))).to.equal(true);
    const withJson = JSON.parse(withBase!.stdout) as { onnxruntime?: { p50: number }; ratios?: { p50: number } };
    expect(withJson.onnxruntime!.p50).to.be.greaterThan(0);
    expect(withJson.ratios!.p50).to.be.greaterThan(0);
    expect(annotatedInside!.code, annotatedInside!.stderr).to.equal(0);
    expect(annotatedAlone!.code).to.equal(1);
    expect(annotatedAlone!.stderr).to.match(/^sparoa: error: .*alone\.onnx: its weights are in partitions\/weights\.bin of the package it was written in, not beside it; keep it inside its package folder/);
  });
});
