// The plan evaluator (src/sim/fast-eval.ts) against the simulator it replaces in search loops:
// on random DAGs (with constants, fusion, zero-time nodes, two and three processors, with and
// without copy engines) and on real models under the bundled profiles, every makespan it reports,
// for whole assignments and for random move sequences, equals evaluate(sim, assign).makespanMs
// bit for bit.
import { expect } from "chai";
import { join } from "node:path";
import { loadModel, type Model, type Node } from "../../ir/index.ts";
import { seededRandom } from "../../ir/random.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { constantNodes } from "../../ir/node-roles.ts";
import { PassManager } from "../../passes/manager.ts";
import { instantiate, parsePipeline } from "../../passes/pipeline.ts";
import { loadProfile, validateProfile, type DeviceProfile } from "../../src/devices/profile.ts";
import { PlanEvaluator } from "../../src/sim/fast-eval.ts";
import { compileSim, type SimGraph } from "../../src/sim/sim-graph.ts";
import { evaluate } from "../../src/sim/simulator.ts";
import { mobileNetLike, vitLike } from "../../bench/support/models.ts";
import { FIXTURES } from "../support/corpus.ts";
import { randomDagModel } from "../support/random-dag.ts";
import { randomDag, toyProfile } from "./graphs.ts";

registerBuiltinPasses();

/** Random assignments (host-only nodes on the host, as placements keep them, but sometimes not). */
function randomAssignment(sim: SimGraph, rand: () => number, respectHost: boolean): Int32Array {
  const P = sim.processors.length;
  const bias = rand();
  return Int32Array.from(sim.nodes, (_, i) => (respectHost && sim.hostOnly[i] ? sim.host : rand() < bias ? 0 : Math.floor(rand() * P)));
}

/**
 * For each of `assignments` random assignments: makespanMs equals evaluate; then `moves` random
 * moves, each moveCost checked against evaluate of the moved assignment, some committed; then
 * `groups` group moves (movesCost: runs of consecutive nodes and random sets of 2-16 nodes, some
 * already on the processor asked for), some committed. Returns the number of comparisons made.
 */
function agree(sim: SimGraph, seed: number, assignments: number, moves: number, groups = 0): number {
  const rand = seededRandom(seed);
  const ev = new PlanEvaluator(sim);
  const n = sim.nodes.length;
  const P = sim.processors.length;
  let checked = 0;
  for (let a = 0; a < assignments; a++) {
    const respectHost = a % 3 !== 2;
    const assign = randomAssignment(sim, rand, respectHost);
    expect(ev.makespanMs(assign), `assignment ${a}`).to.equal(evaluate(sim, assign).makespanMs);
    ev.setAssignment(assign);
    checked++;
    for (let j = 0; j < moves; j++) {
      let node = Math.floor(rand() * n);
      if (respectHost) for (let tries = 0; tries < 10 && sim.hostOnly[node]; tries++) node = Math.floor(rand() * n);
      const proc = Math.floor(rand() * P);
      const moved = assign.slice();
      moved[node] = proc;
      const want = evaluate(sim, moved).makespanMs;
      expect(ev.moveCost(node, proc), `assignment ${a}, move ${j}: node ${node} -> ${proc}`).to.equal(want);
      checked++;
      if (rand() < 0.4) {
        ev.move(node, proc);
        assign[node] = proc;
        expect(ev.currentMakespanMs()).to.equal(want);
        expect([...ev.assignment()]).to.deep.equal([...assign]);
      }
    }
    for (let j = 0; j < groups; j++) {
      const size = Math.min(n, 2 + Math.floor(rand() * 15));
      const start = Math.floor(rand() * (n - size + 1));
      const nodes = rand() < 0.5 ? Array.from({ length: size }, (_, k) => start + k) : [...new Set(Array.from({ length: size }, () => Math.floor(rand() * n)))];
      const procs = nodes.map((i) => (rand() < 0.2 ? assign[i]! : Math.floor(rand() * P)));
      const moved = assign.slice();
      nodes.forEach((i, k) => { moved[i] = procs[k]!; });
      expect(ev.movesCost(nodes, procs), `assignment ${a}, group ${j}: ${nodes.map((i, k) => `${i}->${procs[k]}`).join(" ")}`).to.equal(evaluate(sim, moved).makespanMs);
      checked++;
      if (rand() < 0.3) { nodes.forEach((i, k) => ev.move(i, procs[k]!)); assign.set(moved); }
    }
    // makespanMs of another plan leaves the current one alone.
    expect(ev.currentMakespanMs()).to.equal(evaluate(sim, assign).makespanMs);
  }
  return checked;
}

/** CPU, GPU and an NPU: GPU links with a copy engine, NPU links without, the host is the CPU. */
function threeProcessors(runOverheadUs: number): DeviceProfile {
  const eff = { default: { compute: 1, memory: 1 } };
  const proc = (kind: string, gflops: number, dispatchUs: number) => ({ kind, executionProvider: kind === "cpu" ? "cpu" : "cuda", peakGflops: { f32: gflops }, memoryBandwidthGBs: 50, dispatchUs, efficiency: eff, powerW: { busy: 10, idle: 1 } });
  return validateProfile({
    schema: "sparoa.device.v1", name: "three", description: "test profile", host: "cpu", runOverheadUs,
    processors: { cpu: proc("cpu", 100, 2), gpu: proc("gpu", 2000, 20), npu: proc("gpu", 800, 5) },
    links: [
      { between: ["cpu", "gpu"], memory: "separate", bandwidthGBs: 10, latencyUs: 15, copyEngine: true },
      { between: ["cpu", "npu"], memory: "separate", bandwidthGBs: 4, latencyUs: 8, copyEngine: false },
      { between: ["gpu", "npu"], memory: "separate", bandwidthGBs: 2, latencyUs: 30, copyEngine: false },
    ],
  }, "three");
}

/** Random per-node, per-processor times with exact zeros and repeated values (ties). */
function randomLatency(seed: number): (node: Node, processor: string) => number {
  const rand = seededRandom(seed);
  const memo = new Map<string, number>();
  return (node, processor) => {
    const key = `${node.name}/${processor}`;
    if (!memo.has(key)) {
      const r = rand();
      memo.set(key, r < 0.1 ? 0 : r < 0.3 ? 0.5 : Math.round(rand() * 40) / 8);
    }
    return memo.get(key)!;
  };
}

async function annotated(model: Model): Promise<Model> {
  await new PassManager(instantiate(parsePipeline("shape-inference,cost,weight-sparsity"))).run(model);
  return model;
}

describe("plan evaluator (fast-eval)", () => {
  it("equals evaluate() on 60 random DAGs with fusion, two processors, with and without copy engines", () => {
    let checked = 0;
    for (let trial = 0; trial < 60; trial++) {
      const fusion = trial % 2 === 0 ? ["Conv+Relu", "Relu+Relu"] : undefined;
      const profile = toyProfile({ copyEngine: trial % 3 !== 0, runOverheadUs: trial % 4, fusion });
      const sim = compileSim(randomDag(5 + (trial * 7) % 60, 500 + trial), profile);
      checked += agree(sim, trial, 3, 25);
    }
    expect(checked).to.equal(60 * 3 * 26);
  });

  it("equals evaluate() on random DAGs with Constant nodes, zero-time nodes and ties, on three processors", () => {
    for (let trial = 0; trial < 40; trial++) {
      const model = randomDagModel({ nodes: 4 + (trial * 5) % 50, seed: 900 + trial, constants: 1 + (trial % 4) });
      const profile = trial % 2 === 0 ? threeProcessors(trial) : toyProfile({ copyEngine: trial % 4 === 1 });
      const sim = compileSim(model, profile, { latency: randomLatency(trial) });
      const ev = new PlanEvaluator(sim);
      // The constant nodes (Constant, and arithmetic on constants) are not simulated; everything else is.
      expect(ev.graph.m).to.equal(sim.nodes.length - constantNodes(model.graph).size);
      agree(sim, 77 + trial, 3, 25);
    }
  });

  const realModels: [string, () => Promise<Model>][] = [
    ["tiny-cnn (fixture)", async () => annotated(loadModel(join(FIXTURES, "tiny-cnn.onnx")))],
    ["two-branch (fixture)", async () => annotated(loadModel(join(FIXTURES, "two-branch.onnx")))],
    ["mobilenet-like", async () => annotated(mobileNetLike(0.25, 64))],
    ["vit-like, 2 blocks x 4 heads", async () => annotated(vitLike({ depth: 2, dim: 64, heads: 4, image: 64 }))],
  ];
  for (const [label, make] of realModels) {
    it(`equals evaluate() on ${label} under orin-nano, agx-orin and h100-pcie`, async () => {
      const model = await make();
      for (const [i, device] of ["orin-nano", "agx-orin", "h100-pcie"].entries()) {
        const sim = compileSim(model, loadProfile(device));
        agree(sim, 31 * i + label.length, 2, 20);
      }
    });
  }

  it("equals evaluate() over long move sequences on 400-node DAGs, where most moves rejoin the recorded schedule", () => {
    for (const [seed, copyEngine] of [[3, true], [4, false]] as const) {
      const sim = compileSim(randomDag(400, seed), toyProfile({ copyEngine, fusion: ["Conv+Relu"] }));
      const rand = seededRandom(seed);
      const ev = new PlanEvaluator(sim);
      const assign = randomAssignment(sim, rand, true);
      ev.setAssignment(assign);
      for (let j = 0; j < 150; j++) {
        const node = Math.floor(rand() * sim.nodes.length);
        const moved = assign.slice();
        moved[node] = 1 - moved[node]!;
        expect(ev.moveCost(node, moved[node]!), `move ${j}`).to.equal(evaluate(sim, moved).makespanMs);
        if (j % 10 === 9) { ev.move(node, moved[node]!); assign[node] = moved[node]!; }
      }
      // The incremental path did the work: most trials stopped early on a recorded checkpoint.
      expect(ev.stats.converged).to.be.greaterThan(0);
      expect(ev.stats.trialRounds).to.be.below(ev.stats.trials * ev.stats.baselineRounds * 0.8);
    }
  });

  it("equals evaluate() for group moves (movesCost) on random DAGs with fusion and constants, two and three processors, and on vit-like", async () => {
    let checked = 0;
    for (let trial = 0; trial < 30; trial++) {
      const fusion = trial % 2 === 0 ? ["Conv+Relu", "Relu+Relu"] : undefined;
      const sim = trial % 3 === 2
        ? compileSim(randomDagModel({ nodes: 6 + (trial * 5) % 50, seed: 300 + trial, constants: 1 + (trial % 3) }), threeProcessors(trial), { latency: randomLatency(trial) })
        : compileSim(randomDag(6 + (trial * 7) % 60, 700 + trial), toyProfile({ copyEngine: trial % 3 !== 0, runOverheadUs: trial % 4, fusion }));
      checked += agree(sim, 40 + trial, 2, 0, 20);
    }
    const vit = await annotated(vitLike({ depth: 2, dim: 64, heads: 4, image: 64 }));
    for (const device of ["orin-nano", "h100-pcie"]) checked += agree(compileSim(vit, loadProfile(device)), device.length, 2, 0, 25);
    expect(checked).to.equal(30 * 2 * 21 + 2 * 2 * 26);
  });

  it("drops the constants of an exported transformer from the timed graph", async () => {
    const model = await annotated(vitLike({ depth: 1, dim: 32, heads: 2, image: 32 }));
    const sim = compileSim(model, loadProfile("orin-nano"));
    const ev = new PlanEvaluator(sim);
    const constants = constantNodes(model.graph).size;
    expect(constants).to.be.greaterThan(10);
    expect(ev.graph.m).to.equal(sim.nodes.length - constants);
  });

  it("names bad input: wrong assignment length, unknown processor, moves before setAssignment", () => {
    const sim = compileSim(randomDag(6, 1), toyProfile());
    const ev = new PlanEvaluator(sim);
    expect(() => ev.makespanMs(new Int32Array(5))).to.throw(/assignment has 5 entries; the graph has 6 nodes/);
    expect(() => ev.makespanMs(new Int32Array(6).fill(2))).to.throw(/assignment of node 0 is 2; processors are 0..1/);
    expect(() => ev.moveCost(0, 1)).to.throw(/call setAssignment before moveCost/);
    ev.setAssignment(new Int32Array(6));
    expect(() => ev.moveCost(6, 1)).to.throw(/node 6 is not a node index \(0..5\)/);
    expect(() => ev.move(0, -1)).to.throw(/processor -1 is not a processor index \(0..1\)/);
    expect(ev.evaluations).to.equal(0);
    ev.moveCost(0, 1);
    expect(ev.evaluations).to.equal(1);
  });
});
