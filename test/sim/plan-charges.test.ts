// The plan cost's charges beyond the schedule on a profile of two CPU workers of one chip:
// contention while both are busy, layout/hand-off costs at cuts (src/sim/plan-charges.ts).
import { expect } from "chai";
import { Builder, DataType, Graph, Model, tensorType, type Value } from "../../ir/index.ts";
import { nodeLatencyMs } from "../../src/devices/latency.ts";
import { ProfileError, validateProfile, type DeviceProfile } from "../../src/devices/profile.ts";
import { PlanCost } from "../../src/planner/plan-cost.ts";
import { compileSim } from "../../src/sim/sim-graph.ts";
import { annotate } from "./graphs.ts";

const WIDTH = 1 << 16;

/** Two one-thread workers; `overheads` gives them a real host's fixed costs (dispatch, run call, worker hop). */
function twoWorkers(extra: Partial<DeviceProfile> = {}, overheads = false): DeviceProfile {
  const cpu = { kind: "cpu", executionProvider: "cpu", threads: 1, peakGflops: { f32: 50 }, memoryBandwidthGBs: 20, dispatchUs: overheads ? 5 : 0, efficiency: { default: { compute: 1, memory: 1 } }, powerW: { busy: 8, idle: 2 } };
  return validateProfile({
    schema: "sparoa.device.v1", name: "two-workers", description: "test", host: "cpu0", runOverheadUs: overheads ? 40 : 0,
    processors: { cpu0: cpu, cpu1: cpu },
    links: [{ between: ["cpu0", "cpu1"], memory: "unified", bandwidthGBs: 10, latencyUs: overheads ? 100 : 0, copyEngine: false, zeroCopy: true }],
    contention: [{ processors: ["cpu0", "cpu1"], computeSlowdown: [1.5], memorySlowdown: [2] }],
    cutCosts: { default: { latencyUs: 0, bandwidthGBs: 100 }, conv: { latencyUs: 10, bandwidthGBs: 4 } },
    ...extra,
  }, "two-workers");
}

/** Two equal Conv branches from the input, joined by an Add: x -> a0 -> a1, x -> b0 -> b1, add(a1, b1). */
function twoBranches(): Model {
  const g = new Graph("two-branches");
  const b = new Builder(g);
  const x = b.input("x", tensorType(DataType.FLOAT, [1, WIDTH]));
  const branch = (name: string): Value => {
    let v = x;
    for (let i = 0; i < 2; i++) {
      const node = b.op("Conv", [v], { name: `${name}${i}` });
      v = node.outputs[0]!;
      v.type = tensorType(DataType.FLOAT, [1, WIDTH]);
      annotate(node, 50e6, WIDTH * 4, WIDTH * 4);
    }
    return v;
  };
  const add = b.op("Add", [branch("a"), branch("b")], { name: "add" });
  add.outputs[0]!.type = tensorType(DataType.FLOAT, [1, WIDTH]);
  annotate(add, WIDTH, 2 * WIDTH * 4, WIDTH * 4);
  b.output(add.outputs[0]!);
  return new Model(g);
}

describe("plan charges: contention and cuts", () => {
  const model = twoBranches();
  const profile = twoWorkers();
  const sim = compileSim(model, profile);
  const cost = new PlanCost(sim);
  const at = (name: string) => sim.nodes.findIndex((n) => n.name === name);
  const split = new Int32Array(sim.nodes.length);
  for (const name of ["b0", "b1"]) split[at(name)] = 1;

  it("charges nothing to a plan on one worker", () => {
    for (const p of [0, 1]) {
      const l = cost.latency(new Int32Array(sim.nodes.length).fill(p));
      expect(l.cutsMs, `worker ${p}`).to.equal(0);
      expect(l.contentionMs, `worker ${p}`).to.equal(0);
      expect(l.ms).to.equal(l.simulatedMs + l.callsMs);
    }
  });

  it("charges the overlap of two busy workers at the blended slowdown, and both sides of each cut", () => {
    const l = cost.latency(split);
    const conv = nodeLatencyMs(sim.nodes[at("a0")]!, "cpu0", profile);
    const addMs = nodeLatencyMs(sim.nodes[at("add")]!, "cpu0", profile);
    // Worker 0 runs a0, a1 and the Add; worker 1 runs b0, b1 at the same time: they overlap for 2 convs.
    const share = (4 * conv) / (4 * conv + addMs);
    const slowdown = share * 1.5 + (1 - share) * 2;
    expect(l.contentionMs).to.be.closeTo((slowdown - 1) * 2 * conv, 1e-9);
    // Two session boundaries into the Add's partition: b1 from worker 1 and a1 from worker 0's
    // first partition. The producers' conv sides (10 us + bytes at 4 GB/s) run at once on the two
    // workers; the Add's partition pays both consumer sides (default: 100 GB/s) before it runs.
    const bytes = WIDTH * 4;
    expect(l.cutsMs).to.be.closeTo(0.01 + bytes / 4e6 + 2 * (bytes / 100e6), 1e-9);
    expect(l.ms).to.be.closeTo(l.simulatedMs + l.callsMs + l.cutsMs + l.contentionMs, 1e-12);
    // Without contention the split would halve the branch time; with it the plan pays it back partly.
    expect(l.simulatedMs).to.be.below(cost.latency(new Int32Array(sim.nodes.length)).simulatedMs);
  });

  it("searches charge an upper bound of the exact cost, equal for the incremental evaluator", () => {
    const full = cost.searchCost(split);
    expect(full).to.be.at.least(cost.latency(split).ms - 1e-12);
    const inc = cost.incremental()!;
    const start = new Int32Array(sim.nodes.length);
    start[at("b0")] = 1;
    inc.sync(start);
    const moved = Int32Array.from(start);
    moved[at("b1")] = 1;
    expect(inc.moveCost(moved, at("b1"))).to.equal(full);
    // A group move (both nodes of branch b at once) from the one-worker plan: the same cost.
    inc.sync(new Int32Array(sim.nodes.length));
    expect(inc.movesCost(split, [at("b0"), at("b1")])).to.equal(full);
  });

  it("costs nothing extra on a profile without the fields", () => {
    const bare = new PlanCost(compileSim(model, twoWorkers({ contention: undefined, cutCosts: undefined })));
    const l = bare.latency(split);
    expect(l.cutsMs + l.contentionMs).to.equal(0);
    expect(cost.latency(split).ms).to.be.above(l.ms);
  });

  it("rejects bad contention and cut-cost fields naming them", () => {
    const bad = (extra: Record<string, unknown>) => () => twoWorkers(extra as Partial<DeviceProfile>);
    expect(bad({ contention: [{ processors: ["cpu0", "npu"], computeSlowdown: [1.2], memorySlowdown: [1.2] }] })).to.throw(ProfileError, /contention\[0\]\.processors\[1\]/);
    expect(bad({ contention: [{ processors: ["cpu0", "cpu1"], computeSlowdown: [0.8], memorySlowdown: [1.2] }] })).to.throw(ProfileError, /contention\[0\]\.computeSlowdown\[0\]' must be at least 1/);
    expect(bad({ cutCosts: { conv: { latencyUs: 1, bandwidthGBs: 2 } } })).to.throw(ProfileError, /cutCosts\.default' is required/);
    expect(bad({ cutCosts: { default: { latencyUs: 0, bandwidthGBs: 1 }, convs: { latencyUs: 0, bandwidthGBs: 1 } } })).to.throw(ProfileError, /cutCosts\.convs. is not an op family/);
  });
});

describe("planner under contention and cut charges", () => {
  it("never loses to a baseline and reports the exact cost, on random DAGs over two CPU workers", async () => {
    const { randomDagModel } = await import("../support/random-dag.ts");
    const { PassManager } = await import("../../passes/manager.ts");
    const { instantiate, parsePipeline } = await import("../../passes/pipeline.ts");
    (await import("../../passes/builtin-passes.ts")).registerBuiltinPasses();
    const { placementProblem } = await import("../../src/planner/problem.ts");
    const { planPlacement } = await import("../../src/planner/planner.ts");
    let charged = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const model = randomDagModel({ nodes: 12 + seed * 3, seed, constants: 1 });
      await new PassManager(instantiate(parsePipeline("shape-inference,cost,weight-sparsity"))).run(model);
      // Without fixed costs every plan ties within rounding and the searches cannot prune.
      const problem = placementProblem(model, twoWorkers({}, true));
      const plan = planPlacement(problem, { search: { maxEvaluations: 60 } });
      for (const b of plan.baselines) expect(plan.latency.ms, `seed ${seed} vs ${b.name}`).to.be.at.most(b.latency.ms + 1e-12);
      expect(plan.latency.ms).to.be.closeTo(problem.cost.latency(plan.outcome.assign).ms, 1e-12);
      for (const b of plan.baselines) {
        expect(problem.cost.searchCost(b.assign)).to.be.at.least(b.latency.ms - 1e-12);
        charged += b.latency.cutsMs + b.latency.contentionMs;
      }
    }
    expect(charged).to.be.above(0);
  });
});
