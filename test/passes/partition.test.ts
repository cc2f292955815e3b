// Partition invariants, checked independently of the partitioner's own bookkeeping: every node
// in exactly one single-device partition, an acyclic partition graph whose ids are a
// topological order, boundaries exactly the cross-partition edges, and maximality (no two
// same-device partitions could merge without a cycle). Random DAGs with random device labels
// and every light-corpus and npm model with random labels.
import { expect } from "chai";
import { Builder, DataType, Graph, Model, loadModel, tensorType, type Node } from "../../ir/index.ts";
import { effectiveInputs } from "../../ir/topo.ts";
import { seededRandom } from "../../ir/random.ts";
import { NodeKey } from "../../ir/annotation-keys.ts";
import { constantNodes } from "../../ir/node-roles.ts";
import { applyPartitions, assignPartitions } from "../../passes/partition.ts";
import { processorBatchedSegments } from "../../src/planner/partitions.ts";
import { describePartitions, PartitionError, type Partitioning } from "../../passes/describe-partitions.ts";
import { PassManager } from "../../passes/manager.ts";
import { instantiate, parsePipeline } from "../../passes/pipeline.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { capturingIfModel, randomDagModel } from "../support/random-dag.ts";
import { lightModels, npmModels } from "../support/corpus.ts";

registerBuiltinPasses();

function partitionModel(model: Model): Partitioning {
  applyPartitions(model.graph, assignPartitions(model.graph));
  return describePartitions(model.graph);
}

/** Asserts every invariant; returns the number of partitions. */
function checkInvariants(model: Model, p: Partitioning, label: string): number {
  const g = model.graph;
  const constants = constantNodes(g);
  // Each node in exactly one partition, of that partition's device.
  const seen = new Map<Node, number>();
  for (const part of p.partitions) {
    for (const n of part.nodes) {
      expect(seen.has(n), `${label}: node ${n.name} in two partitions`).to.equal(false);
      seen.set(n, part.id);
      expect(n.annotations.get(NodeKey.processor), `${label}: device of ${n.name}`).to.equal(part.processor);
      expect(n.annotations.get(NodeKey.partition)).to.equal(part.id);
    }
  }
  expect(seen.size, `${label}: nodes covered`).to.equal(g.nodes.length);

  // Cross-partition edges from the graph itself (constants are recomputed, not shipped).
  const edges = new Set<string>();
  const quotient = p.partitions.map(() => new Set<number>());
  for (const n of g.nodes) {
    const to = seen.get(n)!;
    for (const v of effectiveInputs(n)) {
      const producer = v.producer;
      if (!producer || producer.graph !== g || constants.has(producer)) continue;
      const from = seen.get(producer)!;
      if (from === to) continue;
      edges.add(`${v.name}|${from}|${to}`);
      quotient[from]!.add(to);
    }
  }
  const boundaryEdges = new Set(p.boundaries.flatMap((b) => b.to.map((t) => `${b.value.name}|${b.from}|${t}`)));
  expect([...boundaryEdges].sort(), `${label}: boundaries are exactly the cross-partition edges`).to.deep.equal([...edges].sort());
  for (const part of p.partitions) {
    const fromEdges = [...edges].filter((e) => e.endsWith(`|${part.id}`)).map((e) => e.split("|")[0]!);
    const outerInputs = part.inputs.filter((v) => v.producer !== null).map((v) => v.name);
    expect(new Set(outerInputs), `${label}: inputs of partition ${part.id}`).to.deep.equal(new Set(fromEdges));
  }

  // Acyclic, ids a topological order.
  quotient.forEach((succ, from) => succ.forEach((to) => expect(to, `${label}: edge ${from}->${to} goes backwards`).to.be.greaterThan(from)));

  // Maximal: any two same-device partitions are joined by a path through a third, or merging
  // them would delay work: the later reads from a partition that is not an ancestor of the
  // earlier, or the earlier has a reader that does not come after the later.
  const reach = p.partitions.map(() => new Set<number>());
  for (let i = p.partitions.length - 1; i >= 0; i--) for (const s of quotient[i]!) { reach[i]!.add(s); reach[s]!.forEach((r) => reach[i]!.add(r)); }
  const predsOf = (id: number) => quotient.flatMap((succ, from) => (succ.has(id) ? [from] : []));
  for (const a of p.partitions) {
    for (const b of p.partitions) {
      if (b.id <= a.id || a.processor !== b.processor) continue;
      const indirect = [...quotient[a.id]!].some((k) => k !== b.id && reach[k]!.has(b.id));
      const delays = predsOf(b.id).some((r) => r !== a.id && !reach[r]!.has(a.id)) || [...quotient[a.id]!].some((r) => r !== b.id && !reach[b.id]!.has(r));
      expect(indirect || delays, `${label}: partitions ${a.id} and ${b.id} (${a.processor}) could merge`).to.equal(true);
    }
  }
  return p.partitions.length;
}

describe("partition pass", () => {
  it("does not merge A(gpu) and C(gpu) around B(cpu) when A also feeds C (the naive cycle)", () => {
    const g = new Graph("abc");
    const b = new Builder(g);
    const x = b.input("x", tensorType(DataType.FLOAT, [4]));
    const a = b.op1("Relu", [x], { name: "A" });
    const bb = b.op1("Neg", [a], { name: "B" });
    const c = b.op1("Add", [a, bb], { name: "C" });
    b.output(c);
    const model = new Model(g);
    ["gpu", "cpu", "gpu"].forEach((d, i) => g.nodes[i]!.annotations.set(NodeKey.processor, d));
    const p = partitionModel(model);
    expect(p.partitions.map((q) => q.processor)).to.deep.equal(["gpu", "cpu", "gpu"]);
    expect(p.partitions[2]!.dependsOn).to.deep.equal([0, 1]);
    checkInvariants(model, p, "abc");
  });

  it("keeps a branch apart from the join that waits for another device's branch, so both branches run at once", () => {
    const g = new Graph("branches");
    const b = new Builder(g);
    const x = b.input("x", tensorType(DataType.FLOAT, [4]));
    const l1 = b.op1("Relu", [x], { name: "l1" });
    const r1 = b.op1("Neg", [x], { name: "r1" });
    const l2 = b.op1("Abs", [l1], { name: "l2" });
    const r2 = b.op1("Abs", [r1], { name: "r2" });
    b.output(b.op1("Add", [l2, r2], { name: "join" }));
    const model = new Model(g);
    const devices: Record<string, string> = { l1: "gpu", l2: "gpu", r1: "cpu", r2: "cpu", join: "gpu" };
    for (const n of g.nodes) n.annotations.set(NodeKey.processor, devices[n.name]!);
    const p = partitionModel(model);
    // gpu{join,l1,l2} would be acyclic, but the GPU branch would then wait for the CPU branch
    // (a partition starts when all its inputs exist) and the two would run one after the other.
    expect(p.partitions.map((q) => [q.processor, q.nodes.map((n) => n.name).sort().join(",")])).to.deep.equal([["gpu", "l1,l2"], ["cpu", "r1,r2"], ["gpu", "join"]]);
    expect(p.partitions.map((q) => q.dependsOn)).to.deep.equal([[], [], [0, 1]]);
    checkInvariants(model, p, "branches");
  });

  it("cuts a chain only where it gives an idle device work, not at every value another device reads", () => {
    // c0 -> c1 -> ... (cpu), each ci also read by gi (gpu). Once the GPU has work, later side
    // reads give it nothing new to start: one cut after c0, not one per node (that made the
    // contraction cubic on long chains).
    const g = new Graph("side-reads");
    const b = new Builder(g);
    const type = tensorType(DataType.FLOAT, [4]);
    let v = b.input("x", type);
    for (let i = 0; i < 200; i++) {
      v = b.op1("Relu", [v], { name: `c${i}` });
      b.output(b.op1("Neg", [v], { name: `g${i}` }));
    }
    b.output(v);
    const devices = g.nodes.map((n) => (n.name.startsWith("c") ? "cpu" : "gpu"));
    const index = new Map(g.nodes.map((n, i) => [n, i]));
    const preds = g.nodes.map((n) => n.inputs.flatMap((x) => (x?.producer ? [index.get(x.producer)!] : [])));
    expect(new Set(processorBatchedSegments(devices, preds)).size).to.equal(3);
    for (const n of g.nodes) n.annotations.set(NodeKey.processor, devices[index.get(n)!]!);
    const p = partitionModel(new Model(g));
    expect(p.partitions.map((q) => [q.processor, q.nodes.length])).to.deep.equal([["cpu", 200], ["gpu", 200]]);
  });

  it("keeps an If node whole and turns its branches' outer captures into partition inputs", () => {
    const model = capturingIfModel();
    const p = partitionModel(model);
    checkInvariants(model, p, "if");
    const ifPart = p.partitions.find((q) => q.nodes.some((n) => n.opType === "If"))!;
    expect(ifPart.processor).to.equal("cpu");
    expect(ifPart.inputs.map((v) => v.name)).to.include.members(["relu_gpu_out0", "x", "flag"]);
    const inner = [...model.graph.nodes.find((n) => n.opType === "If")!.subgraphs().flatMap((s) => s.nodes)];
    for (const n of inner) expect(n.annotations.get(NodeKey.partition)).to.equal(ifPart.id);
  });

  it("holds every invariant on 300 random DAGs with random device labels (2 and 3 devices)", () => {
    let partitions = 0;
    let nodes = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const devices = seed % 5 === 0 ? ["cpu", "gpu", "dla"] : ["cpu", "gpu"];
      const model = randomDagModel({ nodes: 5 + (seed % 60), seed, devices, constants: seed % 4 });
      partitions += checkInvariants(model, partitionModel(model), `seed ${seed}`);
      nodes += model.graph.nodes.length;
    }
    console.log(`      300 random DAGs: ${nodes} nodes in ${partitions} partitions`);
  });

  it("holds every invariant on the light corpus and the npm models with random device labels", () => {
    const files = [...lightModels(), ...npmModels()];
    const rand = seededRandom(11);
    for (const f of files) {
      const model = loadModel(f);
      for (const n of model.graph.nodes) n.annotations.set(NodeKey.processor, rand() < 0.5 ? "cpu" : "gpu");
      checkInvariants(model, partitionModel(model), f);
    }
  });

  it("runs as a pass in a pipeline and reports statistics", async () => {
    const model = randomDagModel({ nodes: 30, seed: 5 });
    const [run] = await new PassManager(instantiate(parsePipeline("partition"))).run(model);
    expect(run!.result.statistics!["partitions"]).to.be.greaterThan(1);
    expect(run!.result.statistics!["partitions-cpu"]! + run!.result.statistics!["partitions-gpu"]!).to.equal(run!.result.statistics!["partitions"]);
  });

  it("names a node without a processor", () => {
    const model = randomDagModel({ nodes: 4, seed: 2 });
    model.graph.nodes.at(-1)!.annotations.delete(NodeKey.processor);
    expect(() => assignPartitions(model.graph)).to.throw(PartitionError, /node 'n3' \(\w+\) has no processor/);
  });
});
