// Placement: the quadrant rule, transfer-aware smoothing, shape computations on the CPU, pins
// and their errors, and the threshold grid search, on hand-made graphs with hand-set times.
import { expect } from "chai";
import { Builder, DataType, Graph, Model, Tensor, loadModel, tensorType, type Node, type Value } from "../../ir/index.ts";
import { NodeKey } from "../../ir/annotation-keys.ts";
import { PassManager } from "../../passes/manager.ts";
import { instantiate, parsePipeline } from "../../passes/pipeline.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { parsePin, PinError, resolvePins } from "../../src/planner/pins.ts";
import { place, QUADRANTS, Reason } from "../../src/planner/place.ts";
import { placementProblem } from "../../src/planner/problem.ts";
import { candidateThresholds, chooseThresholds, freeValues, thresholdSplit } from "../../src/planner/thresholds.ts";
import { evaluate } from "../../src/sim/simulator.ts";
import { randomDag, seeded, toyProfile } from "../sim/graphs.ts";

registerBuiltinPasses();

/** ms per node name and processor. */
type Table = Record<string, [cpu: number, gpu: number]>;
const latencyFrom = (table: Table) => (node: Node, processor: string) => table[node.name]![processor === "cpu" ? 0 : 1];

function features(node: Node, sparsity: number, intensity: number): void {
  node.annotations.set(NodeKey.sparsity, sparsity);
  node.annotations.set(NodeKey.intensity, intensity);
  node.annotations.set(NodeKey.flops, intensity); // either intensity axis sees the same value
}

/** Four independent nodes reading x, one per quadrant. */
function quadrantModel(width = 4): Model {
  const g = new Graph("quadrants");
  const b = new Builder(g);
  const x = b.input("x", tensorType(DataType.FLOAT, [1, width]));
  const spec: [string, number, number][] = [["dh", 0.1, 100], ["dl", 0.1, 1], ["sh", 0.9, 100], ["sl", 0.9, 1]];
  for (const [name, s, i] of spec) {
    const n = b.op("Relu", [x], { name });
    n.outputs[0]!.type = tensorType(DataType.FLOAT, [1, width]);
    features(n, s, i);
    b.output(n.outputs[0]!);
  }
  return new Model(g);
}

function chain(names: string[], width: number): Model {
  const g = new Graph("chain");
  const b = new Builder(g);
  let v: Value = b.input("x", tensorType(DataType.FLOAT, [1, width]));
  for (const name of names) {
    const n = b.op("Relu", [v], { name });
    v = n.outputs[0]!;
    v.type = tensorType(DataType.FLOAT, [1, width]);
  }
  b.output(v);
  return new Model(g);
}

const deviceOf = (problem: ReturnType<typeof placementProblem>, assign: Int32Array, name: string) =>
  problem.sim.processors[assign[problem.sim.nodes.findIndex((n) => n.name === name)]!];

describe("placement", () => {
  const t = { sparsity: 0.5, intensity: 10 };

  it("applies the quadrant rule: dense-heavy on the GPU and sparse-light on the CPU whatever the latency model says; mixed by latency", () => {
    const model = quadrantModel();
    // dh and sl are faster on the device the rule does not pick; dl and sh follow the latency model.
    const table: Table = { dh: [1, 2], dl: [1, 3], sh: [3, 1], sl: [1, 0.5] };
    const problem = placementProblem(model, toyProfile(), { latency: latencyFrom(table) });
    const out = place(problem, t, false);
    const got = Object.fromEntries(["dh", "dl", "sh", "sl"].map((n) => [n, deviceOf(problem, out.assign, n)]));
    expect(got).to.deep.equal({ dh: "gpu", dl: "cpu", sh: "gpu", sl: "cpu" });
    const q = Object.fromEntries(problem.sim.nodes.map((n, i) => [n.name, QUADRANTS[out.quadrant[i]!]]));
    expect(q).to.deep.equal({ dh: "dense-heavy", dl: "dense-light", sh: "sparse-heavy", sl: "sparse-light" });
    // Smoothing: on the GPU, dh pays transfers and is slower, so it moves; sl would gain compute
    // on the GPU but pay transfers, and smoothing never adds transfers, so it stays.
    const smoothed = place(problem, t, true);
    expect(["dh", "dl", "sh", "sl"].map((n) => deviceOf(problem, smoothed.assign, n))).to.deep.equal(["cpu", "cpu", "gpu", "cpu"]);
    expect(smoothed.reason[0]).to.equal(Reason.Smoothed);
  });

  it("smooths: a light node between two GPU nodes stays on the GPU when its transfers cost more than the CPU saves", () => {
    const model = chain(["a", "b", "c"], 1 << 20); // 4 MB values: 0.4 ms each way on the toy link
    features(model.graph.nodes[0]!, 0, 100);
    features(model.graph.nodes[1]!, 0, 1);
    features(model.graph.nodes[2]!, 0, 100);
    const table: Table = { a: [10, 1], b: [0.1, 0.11], c: [10, 1] };
    const problem = placementProblem(model, toyProfile(), { latency: latencyFrom(table) });
    const raw = place(problem, t, false);
    expect(deviceOf(problem, raw.assign, "b")).to.equal("cpu");
    const smoothed = place(problem, t, true);
    expect(deviceOf(problem, smoothed.assign, "b")).to.equal("gpu");
    expect(smoothed.reason[1]).to.equal(Reason.Smoothed);
    expect(smoothed.smoothSaved[1]).to.be.greaterThan(0.7);
    expect(evaluate(problem.sim, smoothed.assign).makespanMs).to.be.lessThan(evaluate(problem.sim, raw.assign).makespanMs);
  });

  it("keeps shape computations (Shape and what only feeds shape inputs) on the CPU", async () => {
    const g = new Graph("shapes");
    const b = new Builder(g);
    const x = b.input("x", tensorType(DataType.FLOAT, [2, 3, 4]));
    const shape = b.op1("Shape", [x], { name: "shape" });
    const zero = b.initializer(Tensor.fromArray("zero", DataType.INT64, [1], BigInt64Array.of(0n)));
    const first = b.op1("Gather", [shape, zero], { name: "first" });
    const minusOne = b.initializer(Tensor.fromArray("minus_one", DataType.INT64, [1], BigInt64Array.of(-1n)));
    const target = b.op1("Concat", [first, minusOne], { name: "target", attributes: [{ name: "axis", kind: "int", value: 0n }] });
    const flat = b.op1("Reshape", [x, target], { name: "flat" });
    b.output(b.op1("Relu", [flat], { name: "relu" }));
    const model = new Model(g, { opsets: { "": 13 } });
    await new PassManager(instantiate(parsePipeline("shape-inference,cost"))).run(model);
    const table: Table = { shape: [1, 0.1], first: [1, 0.1], target: [1, 0.1], flat: [1, 0.1], relu: [1, 0.1] };
    for (const n of g.nodes) features(n, 0, 100);
    const problem = placementProblem(model, toyProfile(), { latency: latencyFrom(table) });
    const out = place(problem, t);
    const got = Object.fromEntries(problem.sim.nodes.map((n, i) => [n.name, problem.sim.processors[out.assign[i]!]]));
    expect(got).to.include({ shape: "cpu", first: "cpu", target: "cpu" });
    expect(out.reason[problem.sim.nodes.findIndex((n) => n.name === "target")]).to.equal(Reason.Shape);
  });

  it("honours pins by name, op type and regular expression", () => {
    const model = quadrantModel();
    const table: Table = { dh: [2, 1], dl: [1, 3], sh: [3, 1], sl: [1, 0.5] };
    const pins = ["dh=cpu", "op:Relu=gpu", "re:^s=gpu"].map((p) => parsePin(p, ["cpu", "gpu"]));
    // dh is pinned twice (by name and by op type) to different devices: contradictory.
    expect(() => placementProblem(model, toyProfile(), { pins, latency: latencyFrom(table) })).to.throw(PinError, /--pin 'dh=cpu' and --pin 'op:Relu=gpu' contradict: node 'dh'/);
    const problem = placementProblem(model, toyProfile(), { pins: [parsePin("dh=cpu", ["cpu", "gpu"]), parsePin("re:^s=cpu", ["cpu", "gpu"])], latency: latencyFrom(table) });
    const out = place(problem, t);
    expect(["dh", "dl", "sh", "sl"].map((n) => deviceOf(problem, out.assign, n))).to.deep.equal(["cpu", "cpu", "cpu", "cpu"]);
    expect(out.reason[0]).to.equal(Reason.Pinned);
  });

  it("rejects pins naming no node (with close names), unknown processors and bad expressions", () => {
    const graph = quadrantModel().graph;
    const resolve = (p: string) => resolvePins(graph, [parsePin(p, ["cpu", "gpu"])]);
    expect(() => resolve("sll=cpu")).to.throw(PinError, /no node is named 'sll' \(did you mean 'sl'/);
    expect(() => resolve("op:Rel=gpu")).to.throw(PinError, /no node has op type 'Rel' \(did you mean 'Relu'/);
    expect(() => resolve("re:^conv=gpu")).to.throw(PinError, /matches no node name/);
    expect(() => resolve("re:([=gpu")).to.throw(PinError, /invalid regular expression/);
    expect(() => resolve("dh=tpu")).to.throw(PinError, /unknown processor 'tpu' \(this profile has cpu, gpu\)/);
    expect(() => resolve("dh")).to.throw(PinError, /expected NAME=PROCESSOR/);
  });

  it("grid search returns the best plan of its grid, no worse than the median thresholds", () => {
    for (const seed of [1, 2, 3]) {
      const model = randomDag(40, seed);
      const rand = seeded(seed);
      for (const n of model.graph.nodes) features(n, rand(), 10 ** (rand() * 3));
      const problem = placementProblem(model, toyProfile());
      const cost = (a: Int32Array) => problem.cost.searchCost(a);
      const choice = chooseThresholds(problem);
      let best = Infinity;
      for (const s of choice.grid.sparsity) for (const i of choice.grid.intensity) best = Math.min(best, cost(place(problem, { sparsity: s, intensity: i }).assign));
      expect(choice.cost).to.be.closeTo(best, 1e-9);
      expect(cost(choice.outcome.assign)).to.be.closeTo(choice.cost, 1e-9);
      // The objective is the simulation plus one run overhead per extra segment (an upper bound of
      // the partitions), and the exact cost counts the partitions the partition pass cuts.
      const exact = problem.cost.latency(choice.outcome.assign);
      expect(exact.ms).to.be.closeTo(evaluate(problem.sim, choice.outcome.assign).makespanMs + (exact.partitions - 1) * problem.profile.runOverheadUs / 1000, 1e-9);
      expect(exact.ms).to.be.at.most(choice.cost + 1e-9);
      const medianPlan = place(problem, { sparsity: 0.5, intensity: 10 ** 1.5 });
      expect(choice.cost).to.be.at.most(cost(medianPlan.assign) + 1e-9);
    }
  });

  it("puts threshold candidates between distinct node values, and says when one leaves every node on one side", () => {
    const values = [0, 0, 0.25, 0.5, 0.5, 0.75];
    const c = candidateThresholds(values);
    for (const t of c) expect(values, `candidate ${t}`).not.to.include(t);
    expect(c.filter((t) => t > 0 && t < 0.75)).to.deep.equal([0.125, 0.375, 0.625]);
    expect(thresholdSplit(values, c[0]!)).to.equal("all");
    expect(thresholdSplit(values, c[c.length - 1]!)).to.equal("none");
    expect(thresholdSplit(values, 0.375)).to.equal(null);
    // Many distinct values: at most steps midpoints plus the two ends, each between two values.
    const many = Array.from({ length: 500 }, (_, k) => k * k);
    const m = candidateThresholds(many, 10);
    expect(m.length).to.equal(12);
    for (const t of m) expect(many).not.to.include(t);
    const problem = placementProblem(quadrantModel(), toyProfile());
    expect(freeValues(problem, "sparsity").sort()).to.deep.equal([0.1, 0.1, 0.9, 0.9]);
  });

  it("uses absolute FLOPs or FLOP/byte as the intensity axis", () => {
    const model = quadrantModel();
    for (const n of model.graph.nodes) n.annotations.set(NodeKey.flops, 7);
    expect([...placementProblem(model, toyProfile(), { intensity: "flops" }).intensity]).to.deep.equal([7, 7, 7, 7]);
    expect([...placementProblem(model, toyProfile(), { intensity: "flop-per-byte" }).intensity]).to.deep.equal([100, 1, 100, 1]);
  });

  it("runs as a pass with a bundled profile and annotates every node with its device and reason", async () => {
    const model = loadModel("fixtures/tiny-cnn.onnx");
    const runs = await new PassManager(instantiate(parsePipeline("placement{profile=agx-orin}"))).run(model);
    expect(runs.map((r) => r.pass.name)).to.deep.equal(["shape-inference", "cost", "weight-sparsity", "placement"]);
    for (const n of model.graph.nodes) {
      expect(n.annotations.get(NodeKey.processor), n.name).to.be.oneOf(["cpu", "gpu"]);
      expect(n.annotations.get(NodeKey.placementReason), n.name).to.be.a("string");
      expect(n.annotations.get(NodeKey.timeGpuMs), n.name).to.be.a("number");
    }
  });
});
