// Baselines and the oracle on real models after the real analysis passes: every plan obeys the
// simulator's invariants, the oracle is never beaten by a single-device placement baseline, and
// any plan draws as a Chrome trace.
import { expect } from "chai";
import { join } from "node:path";
import { loadModel, type Model } from "../../ir/index.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { PassManager } from "../../passes/manager.ts";
import { instantiate, parsePipeline } from "../../passes/pipeline.ts";
import { runBaselines } from "../../src/planner/baselines/index.ts";
import { loadProfile } from "../../src/devices/profile.ts";
import { toChromeTrace } from "../../src/sim/plan-trace.ts";
import { FIXTURES, lightModels, requireBackendTests } from "../support/corpus.ts";

registerBuiltinPasses();

async function analysed(path: string): Promise<Model> {
  const model = loadModel(path);
  await new PassManager(instantiate(parsePipeline("shape-inference,cost,weight-sparsity"))).run(model);
  return model;
}

describe("baselines on real models", () => {
  it("tiny-cnn on both Jetsons: invariants hold for every plan, oracle is exact and best", async () => {
    const model = await analysed(join(FIXTURES, "tiny-cnn.onnx"));
    for (const device of ["orin-nano", "agx-orin"]) {
      const report = runBaselines(model, loadProfile(device));
      const oracle = report.plans.find((p) => p.name === "oracle")!;
      expect(oracle.label).to.match(/exact optimum/);
      for (const plan of report.plans) {
        const r = plan.result;
        expect(r.makespanMs, plan.name).to.be.at.least(r.criticalPathMs - 1e-9);
        for (const p of Object.values(r.processors)) expect(r.makespanMs).to.be.at.least(p.busyMs - 1e-9);
        expect(plan.placement.size).to.equal(model.graph.nodes.length);
        // One cost for every plan, CoDL's placement included.
        expect(oracle.latency.ms, plan.name).to.be.at.most(plan.latency.ms + 1e-9);
      }
    }
  });

  it("a light-corpus CNN: all six plans, the oracle labelled best known, trace tracks per processor", async function () {
    requireBackendTests(this);
    const squeezenet = lightModels().find((m) => m.includes("squeezenet"))!;
    const model = await analysed(squeezenet);
    const report = runBaselines(model, loadProfile("agx-orin"), { oracle: { search: { maxEvaluations: 1500 } } });
    expect(report.plans.map((p) => p.name)).to.deep.equal(["cpu-only", "gpu-only", "greedy", "heft", "codl", "oracle"]);
    expect(report.placeableNodes).to.be.greaterThan(25);
    const byName = new Map(report.plans.map((p) => [p.name, p]));
    expect(byName.get("oracle")!.label).to.match(/best known/);
    // Weights are folded constants: GPU-only moves only the image in and the scores out.
    expect(byName.get("gpu-only")!.result.crossings).to.equal(2);
    for (const name of ["cpu-only", "gpu-only", "greedy", "heft", "codl"]) expect(byName.get("oracle")!.latency.ms).to.be.at.most(byName.get(name)!.latency.ms + 1e-9);
    const trace = toChromeTrace(byName.get("heft")!.result, "squeezenet heft");
    const names = trace.traceEvents.filter((e) => e.name === "thread_name").map((e) => e.args!.name);
    expect(names).to.include.members(["cpu", "gpu"]);
    const spans = trace.traceEvents.filter((e) => e.ph === "X" && e.cat !== "transfer");
    expect(spans.length).to.equal(byName.get("heft")!.result.schedule.length);
    expect(Math.max(...spans.map((e) => e.ts! + e.dur!)) / 1000).to.be.at.most(byName.get("heft")!.result.makespanMs + 1e-6);
  });
});
