// Simulator invariants on hand-annotated graphs: makespan bounds, exact chain sums, transfers
// exactly on cross-processor edges, energy bookkeeping.
import { expect } from "chai";
import { Builder, DataType, Graph, Model, tensorType, type Node } from "../../ir/index.ts";
import { nodeLatencyMs } from "../../src/devices/latency.ts";
import { transferMs } from "../../src/devices/profile.ts";
import { simulate } from "../../src/sim/simulator.ts";
import { compileSim, onTimeGrid } from "../../src/sim/sim-graph.ts";
import { annotate, chainModel, randomDag, seeded, toyProfile } from "./graphs.ts";

const close = (a: number, b: number) => expect(a).to.be.closeTo(b, 1e-9 * Math.max(1, Math.abs(b)));

describe("simulator", () => {
  it("GPU-only chain = sum of GPU node times + input and output transfers (with and without copy engine)", () => {
    for (const copyEngine of [true, false]) {
      const profile = toyProfile({ copyEngine });
      const model = chainModel([1e6, 5e7, 2e5, 3e8, 1e4]);
      const placement = new Map<Node, string>(model.graph.nodes.map((n) => [n, "gpu"]));
      const r = simulate(model, placement, profile);
      const nodes = model.graph.nodes.reduce((s, n) => s + nodeLatencyMs(n, "gpu", profile), 0);
      const bytes = 1024 * 4;
      close(r.makespanMs, nodes + 2 * transferMs(profile, "cpu", "gpu", bytes));
      expect(r.crossings).to.equal(2);
      expect(r.bytesMoved).to.equal(2 * bytes);
      expect(r.transfers.map((t) => `${t.from}->${t.to}`)).to.deep.equal(["cpu->gpu", "gpu->cpu"]);
    }
  });

  it("CPU-only chain = sum of CPU node times, no transfers, idle GPU energy counted", () => {
    const profile = toyProfile();
    const model = chainModel([1e6, 5e7, 2e5]);
    const r = simulate(model, new Map(model.graph.nodes.map((n) => [n, "cpu"])), profile);
    const sum = model.graph.nodes.reduce((s, n) => s + nodeLatencyMs(n, "cpu", profile), 0);
    close(r.makespanMs, sum);
    expect(r.crossings).to.equal(0);
    expect(r.transfers).to.have.length(0);
    close(r.processors.cpu!.busyMs, sum);
    close(r.processors.gpu!.idleMs, sum);
    close(r.energyMj, 10 * sum + 5 * sum);
  });

  it("makespan >= critical path and >= each processor's busy time; transfers only on cross-processor edges", () => {
    const rand = seeded(42);
    let checked = 0;
    for (const copyEngine of [true, false]) {
      const profile = toyProfile({ copyEngine });
      for (let trial = 0; trial < 40; trial++) {
        const model = randomDag(6 + Math.floor(rand() * 30), 1000 + trial);
        const placement = new Map<Node, string>(model.graph.nodes.map((n) => [n, rand() < 0.5 ? "cpu" : "gpu"]));
        const r = simulate(model, placement, profile);
        expect(r.makespanMs).to.be.at.least(r.criticalPathMs - 1e-9);
        for (const p of Object.values(r.processors)) expect(r.makespanMs).to.be.at.least(p.busyMs - 1e-9);
        // Every transfer moves a value from where it was made to where it is read (or to the host for outputs).
        const expected = new Set<string>();
        const where = (v: { producer: Node | null }) => (v.producer ? placement.get(v.producer)! : "cpu");
        for (const n of model.graph.nodes) {
          for (const v of n.inputs) if (v && where(v) !== placement.get(n)) expected.add(`${v.name}:${where(v)}->${placement.get(n)}`);
        }
        for (const v of model.graph.outputs) if (where(v) !== "cpu") expected.add(`${v.name}:${where(v)}->cpu`);
        expect(new Set(r.transfers.map((t) => `${t.value}:${t.from}->${t.to}`))).to.deep.equal(expected);
        expect(r.crossings).to.equal(expected.size);
        // Each processor runs one node at a time.
        for (const proc of ["cpu", "gpu"]) {
          const spans = r.schedule.filter((s) => s.processor === proc).sort((a, b) => a.startMs - b.startMs);
          for (let i = 1; i < spans.length; i++) expect(spans[i]!.startMs).to.be.at.least(spans[i - 1]!.endMs - 1e-9);
        }
        // Dependencies hold: a node starts after each producer ends.
        const end = new Map(r.schedule.map((s) => [s.node, s.endMs]));
        for (const s of r.schedule) for (const v of s.node.inputs) if (v?.producer) expect(s.startMs).to.be.at.least(end.get(v.producer)! - 1e-9);
        checked++;
      }
    }
    expect(checked).to.equal(80);
  });

  it("overlaps independent work on two processors", () => {
    const profile = toyProfile();
    // A fork: a and b both read only the input. Placed apart they run at the same time.
    const g = new Graph("fork");
    const builder = new Builder(g);
    const x = builder.input("x", tensorType(DataType.FLOAT, [1, 4096]));
    const [a, b] = ["a", "b"].map((name) => {
      const node = builder.op("MatMul", [x], { name });
      node.outputs[0]!.type = tensorType(DataType.FLOAT, [1, 4096]);
      annotate(node, 1e8, 4096 * 4, 4096 * 4);
      builder.output(node.outputs[0]!);
      return node;
    });
    const r = simulate(new Model(g), new Map([[a!, "cpu"], [b!, "gpu"]]), profile);
    const s = new Map(r.schedule.map((x) => [x.node, x]));
    expect(s.get(b!)!.startMs).to.be.below(s.get(a!)!.endMs);
    expect(s.get(a!)!.startMs).to.be.below(s.get(b!)!.endMs);
    expect(r.makespanMs).to.be.below(r.processors.cpu!.busyMs + r.processors.gpu!.busyMs);
  });

  it("batch scales activations and FLOPs but not weights", () => {
    const profile = toyProfile();
    const model = chainModel([1e8, 1e8]);
    const r = simulate(model, new Map(model.graph.nodes.map((n) => [n, "cpu"])), profile, { batch: 8 });
    expect(r.batch.size).to.equal(8);
    expect(r.batch.makespanMs).to.be.greaterThan(r.makespanMs * 7);
    expect(r.batch.perSampleMs).to.be.closeTo(r.batch.makespanMs / 8, 1e-12);
  });

  it("names the node when a placement is missing or names an unknown processor", () => {
    const profile = toyProfile();
    const model = chainModel([1, 2]);
    expect(() => simulate(model, new Map([[model.graph.nodes[0]!, "cpu"]]), profile)).to.throw(/no processor for node 'n1'/);
    expect(() => simulate(model, new Map(model.graph.nodes.map((n) => [n, "npu"])), profile)).to.throw(/'npu'.*processors: cpu, gpu/);
  });

  it("orders ready nodes by HEFT upward rank, fixed per compiled graph: the branch with the longer mean path starts first", () => {
    const profile = toyProfile();
    // A chain: rank = own mean time + mean transfer of its output + the next node's rank.
    const chain = chainModel([1e6, 5e7, 2e5]);
    const sim = compileSim(chain, profile);
    const mean = (n: Node) => (onTimeGrid(nodeLatencyMs(n, "cpu", profile)) + onTimeGrid(nodeLatencyMs(n, "gpu", profile))) / 2;
    const edge = (onTimeGrid(transferMs(profile, "cpu", "gpu", 4096)) + onTimeGrid(transferMs(profile, "gpu", "cpu", 4096))) / 2;
    const [a, b, c] = sim.nodes as [Node, Node, Node];
    const rank = [mean(a) + edge + mean(b) + edge + mean(c), mean(b) + edge + mean(c), mean(c)];
    rank.forEach((r, i) => close(sim.upwardRank[i]!, r));
    // A fork on one processor: x feeds a light branch (listed first) and a heavy one; the heavy
    // branch's head runs first on the CPU, wherever its tail is placed.
    const g = new Graph("fork");
    const builder = new Builder(g);
    const x = builder.input("x", tensorType(DataType.FLOAT, [1, 1024]));
    const branch = (name: string, flops: number[]) => {
      let v = x;
      for (const [i, f] of flops.entries()) {
        const node = builder.op("MatMul", [v], { name: `${name}${i}` });
        v = node.outputs[0]!;
        v.type = tensorType(DataType.FLOAT, [1, 1024]);
        annotate(node, f, 4096, 4096);
      }
      return v;
    };
    builder.output(branch("light", [1e5, 1e5]));
    builder.output(branch("heavy", [1e5, 1e9]));
    const model = new Model(g);
    for (const tail of ["cpu", "gpu"]) {
      const placement = new Map<Node, string>(model.graph.nodes.map((n) => [n, n.name === "heavy1" ? tail : "cpu"]));
      const first = simulate(model, placement, profile).schedule.find((s) => s.processor === "cpu")!;
      expect(first.node.name, `heavy tail on ${tail}`).to.equal("heavy0");
    }
  });
});
