// The runtime-faithful schedule of whole partitions (src/sim/partition-schedule.ts) and the exact
// plan cost built on it (src/planner/plan-cost.ts).
import { expect } from "chai";
import { join } from "node:path";
import { loadModel } from "../../ir/index.ts";
import { nodeLatencyMs } from "../../src/devices/latency.ts";
import { loadProfile, validateProfile, type DeviceProfile } from "../../src/devices/profile.ts";
import { PlanCost } from "../../src/planner/plan-cost.ts";
import { heftAssignment } from "../../src/planner/baselines/heft.ts";
import { schedulePartitions, valueCopies } from "../../src/sim/partition-schedule.ts";
import { PROCESSOR_KEY } from "../../src/package/manifest.ts";
import { openPackage } from "../../src/runtime/package.ts";
import { planRoutes } from "../../src/runtime/routes.ts";
import { compileSim } from "../../src/sim/sim-graph.ts";
import { evaluate } from "../../src/sim/simulator.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { PassManager } from "../../passes/manager.ts";
import { instantiate, parsePipeline } from "../../passes/pipeline.ts";
import { FIXTURES } from "../support/corpus.ts";
import { chainModel, randomDag, seeded } from "./graphs.ts";

/** Two one-thread CPU workers with a run call of 40 us and a 100 us hand-off; no contention or cut charges. */
function workers(): DeviceProfile {
  const cpu = { kind: "cpu", executionProvider: "cpu", threads: 1, peakGflops: { f32: 50 }, memoryBandwidthGBs: 20, dispatchUs: 0, efficiency: { default: { compute: 1, memory: 1 } }, powerW: { busy: 8, idle: 2 } };
  return validateProfile({
    schema: "sparoa.device.v1", name: "workers", description: "test", host: "cpu0", runOverheadUs: 40,
    processors: { cpu0: cpu, cpu1: cpu },
    links: [{ between: ["cpu0", "cpu1"], memory: "unified", bandwidthGBs: 10, latencyUs: 100, copyEngine: false, zeroCopy: true }],
  }, "workers");
}

describe("partition schedule: the runtime's order of whole partitions", () => {
  it("one partition costs what the node-level simulation says", () => {
    const model = chainModel([1e6, 4e6, 2e6]);
    const cost = new PlanCost(compileSim(model, workers()));
    const all = new Int32Array(3).fill(1);
    expect(cost.latency(all).ms).to.equal(evaluate(cost.sim, all).makespanMs);
    expect(cost.latency(all).partitions).to.equal(1);
  });

  it("a chain cut cpu0 | cpu1 | cpu0 pays every node, a run call per partition and a hand-off per cut", () => {
    const model = chainModel([1e6, 4e6, 2e6]);
    const profile = workers();
    const cost = new PlanCost(compileSim(model, profile));
    const assign = Int32Array.from([0, 1, 0]);
    const nodes = model.graph.nodes;
    const work = nodes.reduce((a, n, i) => a + nodeLatencyMs(n, `cpu${assign[i]}`, profile), 0);
    const l = cost.latency(assign);
    expect(l.partitions).to.equal(3);
    expect(l.ms).to.be.closeTo(work + 3 * 0.04 + 2 * 0.1, 1e-9);
    // The breakdown adds up: simulated + calls after the first.
    expect(l.simulatedMs + l.callsMs + l.cutsMs + l.contentionMs).to.be.closeTo(l.ms, 1e-12);
    expect(l.callsMs).to.be.closeTo(2 * 0.04, 1e-12);
  });

  it("through the runtime's workers the request pays runOverheadUs once and each further partition partitionCallUs", () => {
    const model = chainModel([1e6, 4e6, 2e6]);
    const profile = { ...workers(), runOverheadUs: 300, partitionCallUs: 40 };
    const cost = new PlanCost(compileSim(model, profile));
    const nodes = model.graph.nodes;
    const split = Int32Array.from([0, 1, 0]);
    const work = nodes.reduce((a, n, i) => a + nodeLatencyMs(n, `cpu${split[i]}`, profile), 0);
    const l = cost.latency(split);
    expect(l.ms).to.be.closeTo(work + 0.3 + 2 * 0.04 + 2 * 0.1, 1e-9);
    expect(l.callsMs).to.be.closeTo(2 * 0.04, 1e-12);
    expect(l.simulatedMs + l.callsMs + l.cutsMs + l.contentionMs).to.be.closeTo(l.ms, 1e-12);
    // One partition: the request alone, as the node-level simulation charges it.
    const whole = new Int32Array(3);
    expect(cost.latency(whole).ms).to.be.closeTo(nodes.reduce((a, n) => a + nodeLatencyMs(n, "cpu0", profile), 0) + 0.3, 1e-9);
    // The searches' estimate agrees on both.
    expect(cost.searchCost(split)).to.be.closeTo(l.ms, 1e-9);
    expect(cost.searchCost(whole)).to.be.closeTo(cost.latency(whole).ms, 1e-9);
  });

  it("a worker runs one partition to its end, each once its inputs are there, lowest index first (random DAGs)", () => {
    const profile = workers();
    for (let seed = 1; seed <= 8; seed++) {
      const model = randomDag(18, seed);
      const sim = compileSim(model, profile);
      const cost = new PlanCost(sim);
      const rand = seeded(100 + seed);
      const assign = Int32Array.from(sim.nodes, () => (rand() < 0.5 ? 0 : 1));
      const { partitionOf, count } = cost.partitionIndex(assign);
      const run = schedulePartitions(sim, assign, partitionOf, count, cost.callMs);
      // Inputs: a partition starts after every producing partition ended.
      for (let i = 0; i < sim.nodes.length; i++) {
        for (const vi of sim.inputsOf[i]!) {
          const p = sim.values[vi]!.producer;
          if (p < 0 || partitionOf[p] === partitionOf[i]) continue;
          expect(run.runs[partitionOf[i]!]!.startMs, `seed ${seed}`).to.be.at.least(run.runs[partitionOf[p]!]!.endMs);
        }
      }
      // Ready: every producing partition ended (zero-copy link: the hand-off is paid inside the run).
      const readyAt = new Float64Array(count);
      for (let i = 0; i < sim.nodes.length; i++) {
        for (const vi of sim.inputsOf[i]!) {
          const p = sim.values[vi]!.producer;
          if (p >= 0 && partitionOf[p] !== partitionOf[i]) readyAt[partitionOf[i]!] = Math.max(readyAt[partitionOf[i]!]!, run.runs[partitionOf[p]!]!.endMs);
        }
      }
      for (const w of [0, 1]) {
        const mine = run.runs.map((r, p) => ({ ...r, p })).filter((r) => r.processor === w).sort((a, b) => a.startMs - b.startMs);
        for (let k = 0; k < mine.length; k++) {
          // One at a time; a run starts when its worker is free and its inputs are there, not later.
          const free = k === 0 ? 0 : mine[k - 1]!.endMs;
          expect(mine[k]!.startMs, `seed ${seed} worker ${w}`).to.be.closeTo(Math.max(free, readyAt[mine[k]!.p]!), 1e-9);
          // A lower index that ran later was not ready when this one started.
          for (const later of mine.slice(k + 1)) if (later.p < mine[k]!.p) expect(readyAt[later.p]!, `seed ${seed}`).to.be.above(mine[k]!.startMs);
        }
      }
      expect(run.makespanMs).to.be.at.least(Math.max(...run.runs.map((r) => r.endMs)) - 1e-12);
    }
  });

  it("charges the copies the runtime's workers make of values that go to several places (random DAGs against the runtime's routes)", async () => {
    const profile = workers();
    let copied = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const model = randomDag(24, 40 + seed);
      const sim = compileSim(model, profile);
      const cost = new PlanCost(sim);
      const rand = seeded(300 + seed);
      const assign = Int32Array.from(sim.nodes, () => (rand() < 0.5 ? 0 : 1));
      const { partitionOf, count } = cost.partitionIndex(assign);
      // The runtime's own routes for the package the partition pass cuts from this plan.
      sim.nodes.forEach((n, i) => n.metadata.set(PROCESSOR_KEY, sim.processors[assign[i]!]!));
      const pkg = await openPackage(model);
      expect(pkg.manifest.partitions.length, `seed ${seed}`).to.equal(count);
      const expected = new Map<string, number>();
      for (const r of planRoutes(pkg.manifest, ["cpu0", "cpu1"])) {
        for (const p of r.partitions) {
          for (const { name, route } of p.outputs) {
            const places = route.peers.length + (route.main ? 1 : 0);
            expected.set(name, places === 0 ? 0 : places - 1 + (route.local ? 1 : 0));
          }
        }
      }
      const copies = valueCopies(sim, assign, partitionOf);
      for (const [name, n] of copies) expect(n, `seed ${seed} value ${name}`).to.equal(expected.get(name) ?? 0);
      expect([...copies.values()].reduce((a, b) => a + b, 0), `seed ${seed}`).to.equal([...expected.values()].reduce((a, b) => a + b, 0));
      // Charged in the producer's partition: at valueCopyGBs, the plan costs no less, and more when there are copies.
      const copying = new PlanCost(compileSim(model, { ...profile, valueCopyGBs: 1, cutCosts: { default: { latencyUs: 0, bandwidthGBs: 100 } } }));
      const free = new PlanCost(compileSim(model, { ...profile, cutCosts: { default: { latencyUs: 0, bandwidthGBs: 100 } } }));
      const withCopies = copying.latency(assign).ms;
      const without = free.latency(assign).ms;
      if ([...copies.values()].some((n) => n > 0)) expect(withCopies, `seed ${seed}`).to.be.above(without);
      else expect(withCopies, `seed ${seed}`).to.be.closeTo(without, 1e-12);
      copied += [...copies.values()].filter((n) => n > 0).length;
    }
    expect(copied, "values copied over all seeds").to.be.at.least(4);
  });

  it("prices HEFT's interleaved two-branch plan as the runtime runs it: the CPU worker finishes one branch before the other's partitions", async () => {
    registerBuiltinPasses();
    const model = loadModel(join(FIXTURES, "two-branch.onnx"));
    await new PassManager(instantiate(parsePipeline("shape-inference{input-shape=x=64x256},cost,weight-sparsity"))).run(model);
    const sim = compileSim(model, loadProfile("orin-nano"));
    const cost = new PlanCost(sim);
    const heft = heftAssignment(sim);
    const nodeLevel = evaluate(sim, heft).makespanMs + (cost.partitions(heft) - 1) * cost.callMs;
    const { partitionOf, count } = cost.partitionIndex(heft);
    const run = schedulePartitions(sim, heft, partitionOf, count, cost.callMs);
    const cpu = sim.processors.indexOf("cpu");
    const at = (name: string) => run.runs[partitionOf[sim.nodes.findIndex((n) => n.name === name)]!]!;
    // The node-level schedule runs left_relu0 between right_matmul0 and right_matmul1; the
    // runtime cannot: the right branch is one CPU partition, started first (it alone is ready).
    expect(at("right_matmul0")).to.equal(at("right_matmul3"));
    expect(at("left_relu0").processor).to.equal(cpu);
    expect(at("left_relu0").startMs).to.be.at.least(at("right_relu3").endMs);
    expect(cost.latency(heft).ms).to.be.above(nodeLevel);
  });
});
