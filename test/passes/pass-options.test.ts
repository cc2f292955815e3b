// Typed pass options and the manager's analysis bookkeeping (issue 18, point 2): a pipeline
// string's options are parsed once by the pass's schema into typed values, code passes values
// (passEntry), both go through one validation; `sparoa passes --json` lists every schema. An
// analysis invalidated by a pass that changes the IR loses its annotations (flops after a shape
// change), and a pass's `changed` covers the annotations it writes.
import { expect } from "chai";
import { join } from "node:path";
import { loadModel, saveModel } from "../../ir/index.ts";
import { NodeKey, numberAnnotation } from "../../ir/annotation-keys.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { costPass } from "../../passes/cost.ts";
import { PassManager } from "../../passes/manager.ts";
import { PassOptionError } from "../../passes/options.ts";
import { definePass } from "../../passes/pass.ts";
import { registerPass } from "../../passes/registry.ts";
import { instantiate, parsePipeline, passEntry } from "../../passes/pipeline.ts";
import { placementPass } from "../../passes/placement.ts";
import { FIXTURES } from "../support/corpus.ts";
import { runSparoaInProcess } from "../support/cli-in-process.ts";
import { deadNodeModel } from "../support/dead-node-model.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

registerBuiltinPasses();
const RESNET_N = join(FIXTURES, "tiny-resnet-n.onnx");

// Changes the IR (the graph's name) and preserves no analysis.
registerPass(definePass({ name: "test-edit-ir", description: "test: change the IR, preserve nothing", options: {}, build: () => ({
  preserves: [],
  run(model) {
    model.graph.name += "_edited";
    return { changed: true };
  },
}) }));
const run = (model: ReturnType<typeof loadModel>, pipeline: string) => new PassManager(instantiate(parsePipeline(pipeline))).run(model);

describe("typed pass options", () => {
  it("parses a pipeline string's options once, into the schema's types", () => {
    const [placement, activation, shapes] = parsePipeline("placement{sparsity=0.5,pin=a=gpu;op:Relu=cpu,smoothing=false,evaluations=40},activation-sparsity{inputs=x=a.npy;x=b.npy;y=c.pb,if-unrunnable=warn},shape-inference{input-shape=x=1x3x8x8;y=2}");
    expect(placement!.options).to.deep.equal({ sparsity: 0.5, pin: ["a=gpu", "op:Relu=cpu"], smoothing: false, evaluations: 40 });
    expect(activation!.options).to.deep.equal({ inputs: new Map([["x", ["a.npy", "b.npy"]], ["y", ["c.pb"]]]), "if-unrunnable": "warn" });
    expect(shapes!.options).to.deep.equal({ "input-shape": [{ name: "x", dims: [1, 3, 8, 8] }, { name: "y", dims: [2] }] });
  });

  it("refuses bad text and bad values with one line naming the pass and the option", () => {
    const cases: [() => unknown, RegExp][] = [
      [() => parsePipeline("placement{sparsity=abc}"), /^placement option sparsity=abc: expected a number >= 0$/],
      [() => parsePipeline("placement{smothing=false}"), /^placement has no option 'smothing' \(did you mean 'smoothing'\?\)/],
      [() => parsePipeline("placement{refine=maybe}"), /^placement option refine=maybe: expected true or false$/],
      [() => parsePipeline("dce{aggressive=true}"), /^dce has no option 'aggressive'; it takes no options$/],
      [() => parsePipeline("activation-sparsity{if-unrunnable=ignore}"), /expected fail or warn$/],
      [() => parsePipeline("activation-sparsity{samples=0}"), /samples=0: expected a whole number >= 1$/],
      [() => parsePipeline("activation-sparsity{inputs=x.npy}"), /inputs=x.npy: calibration input 'x.npy': expected NAME=FILE/],
      [() => placementPass({ evaluations: 1.5 }), /^placement option evaluations=1.5: expected a whole number >= 0$/],
      [() => instantiate([{ name: "placement", options: { sparsity: "0.5" } }]), /^placement option sparsity=0.5: expected a number >= 0$/],
      [() => placementPass({ state: { schema: "nope" } as never }), /placement option state=.*a valid hardware state/],
    ];
    for (const [f, message] of cases) expect(f, String(message)).to.throw(PassOptionError, message);
  });

  it("makes the same pass from typed values as from the text", async () => {
    const text = "shape-inference{input-shape=image=1x3x32x32},cost,weight-sparsity,placement{sparsity=0.2,intensity=3,pin=conv1=gpu,refine=false}";
    const typed = parsePipeline("shape-inference{input-shape=image=1x3x32x32},cost,weight-sparsity");
    typed.push(passEntry(placementPass, { sparsity: 0.2, intensity: 3, pin: ["conv1=gpu"], refine: false }));
    const devices = async (entries: ReturnType<typeof parsePipeline>) => {
      const model = loadModel(join(FIXTURES, "tiny-cnn.onnx"));
      await new PassManager(instantiate(entries)).run(model);
      return model.graph.nodes.map((n) => n.annotations.get(NodeKey.processor));
    };
    const fromText = await devices(parsePipeline(text));
    expect(fromText[0]).to.equal("gpu");
    expect(await devices(typed)).to.deep.equal(fromText);
  });

  it("lists every pass's options in `sparoa passes --json`", async () => {
    const r = await runSparoaInProcess(["passes", "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    const passes = (JSON.parse(r.stdout) as { passes: { name: string; options: { name: string; type: string; default?: string }[] }[] }).passes;
    const placement = passes.find((p) => p.name === "placement")!;
    expect(placement.options.find((o) => o.name === "smoothing")).to.deep.include({ type: "true|false", default: "true" });
    expect(placement.options.map((o) => o.name)).to.include.members(["profile", "pin", "sparsity", "state"]);
    expect(passes.find((p) => p.name === "dce")!.options).to.deep.equal([]);
  });
});

describe("analysis results and their annotations in the pass manager", () => {
  it("removes an analysis's annotations (flops, intensity) when a pass that changes the IR does not preserve it", async () => {
    const model = loadModel(join(FIXTURES, "tiny-cnn.onnx"));
    await run(model, "cost");
    expect(model.graph.nodes.every((n) => n.annotations.has(NodeKey.flops) && n.annotations.has(NodeKey.intensity))).to.equal(true);
    const runs = await run(model, "cost,test-edit-ir,weight-sparsity");
    expect(runs.map((r) => r.pass.name)).to.deep.equal(["shape-inference", "cost", "test-edit-ir", "weight-sparsity"]);
    expect(model.graph.nodes.filter((n) => n.annotations.has(NodeKey.flops) || n.annotations.has(NodeKey.intensity))).to.deep.equal([]);
    expect(model.graph.nodes.some((n) => n.annotations.has(NodeKey.weightSparsity))).to.equal(true);
  });

  it("drops the costs of symbolic shapes when shape-inference binds them; cost scheduled again sees the bound shapes", async () => {
    const model = loadModel(RESNET_N);
    await run(model, "shape-inference,cost");
    expect(model.graph.nodes.every((n) => n.annotations.get(NodeKey.costUnknown) === true)).to.equal(true);
    const runs = await run(model, "shape-inference{input-shape=input=4x3x32x32}");
    expect(runs[0]!.result.changed).to.equal(true);
    expect(model.graph.nodes.filter((n) => n.annotations.has(NodeKey.costUnknown))).to.deep.equal([]);

    // Within one pipeline: the stale costs go, and placement's requirement schedules cost again.
    const one = loadModel(RESNET_N);
    await run(one, "shape-inference{input-shape=input=1x3x32x32},cost");
    const four = loadModel(RESNET_N);
    const pipelineRuns = await run(four, "shape-inference,cost,shape-inference{input-shape=input=4x3x32x32},placement");
    expect(pipelineRuns.map((r) => r.pass.name)).to.deep.equal(["shape-inference", "cost", "shape-inference", "cost", "weight-sparsity", "placement"]);
    const conv = (m: typeof one) => numberAnnotation(m.graph.nodes.find((n) => n.opType === "Conv")!, NodeKey.flops);
    expect(conv(four)).to.equal(4 * conv(one)!);
  });

  it("keeps per-node analyses across dce (a removed node takes its annotations with it)", async () => {
    const work = mkdtempSync(join(tmpdir(), "sparoa-pass-options-"));
    try {
      const file = join(work, "dead.onnx");
      saveModel(deadNodeModel(), file);
      const model = loadModel(file);
      const runs = await run(model, "shape-inference{input-shape=x=2x3x32x32},cost,dce,cost");
      expect(runs.map((r) => [r.pass.name, r.result.changed])).to.deep.equal([["shape-inference", true], ["cost", true], ["dce", true], ["cost", false]]);
      expect(model.graph.nodes.every((n) => numberAnnotation(n, NodeKey.flops) !== undefined)).to.equal(true);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("counts the annotations an analysis writes as a change, and an identical rerun as none", async () => {
    const model = loadModel(join(FIXTURES, "tiny-cnn.onnx"));
    const runs = await new PassManager([costPass(), costPass()]).run(model);
    expect(runs.map((r) => [r.pass.name, r.scheduled, r.result.changed])).to.deep.equal([["shape-inference", true, true], ["cost", false, true], ["cost", false, false]]);
  });
});
