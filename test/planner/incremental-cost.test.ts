// The plan cost's incremental path (src/planner/plan-cost.ts incremental(), src/planner/partitions.ts
// SegmentCounter.setBaseline/moveCount) against the full computation: on random DAGs with two and
// three devices, every single-node move's segment count equals a fresh count (and
// processorBatchedSegments'), through sequences of moves, some committed; on generated models under
// the bundled profiles, every incremental plan-cost move equals searchCost of the moved plan.
import { expect } from "chai";
import { seededRandom } from "../../ir/random.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { PassManager } from "../../passes/manager.ts";
import { instantiate, parsePipeline } from "../../passes/pipeline.ts";
import { loadProfile } from "../../src/devices/profile.ts";
import { PlanCost } from "../../src/planner/plan-cost.ts";
import { processorBatchedSegments, SegmentCounter } from "../../src/planner/partitions.ts";
import { compileSim } from "../../src/sim/sim-graph.ts";
import { mobileNetLike, vitLike } from "../../bench/support/models.ts";

registerBuiltinPasses();

function randomPreds(rand: () => number, n: number): number[][] {
  const fanIn = 1 + Math.floor(rand() * 3);
  return Array.from({ length: n }, (_, i) => {
    const ps = new Set<number>();
    if (i > 0) for (let k = 0; k < fanIn; k++) if (rand() < 0.8) ps.add(Math.max(0, i - 1 - Math.floor(rand() * Math.min(i, 12))));
    return [...ps];
  });
}

describe("incremental plan cost", () => {
  it("counts segments of single-node and group moves as a fresh count does, on 200 random DAGs (2 and 3 devices)", () => {
    const rand = seededRandom(7);
    let trials = 0;
    for (let g = 0; g < 200; g++) {
      const n = 5 + Math.floor(rand() * 120);
      const P = g % 3 === 0 ? 3 : 2;
      const preds = randomPreds(rand, n);
      const counter = new SegmentCounter(preds, P);
      const fresh = new SegmentCounter(preds, P);
      const bias = rand();
      const device = Int32Array.from({ length: n }, () => (rand() < bias ? 0 : Math.floor(rand() * P)));
      expect(counter.setBaseline(device), `graph ${g}`).to.equal(new Set(processorBatchedSegments(device, preds)).size);
      for (let m = 0; m < 40; m++) {
        const node = Math.floor(rand() * n);
        const was = device[node]!;
        device[node] = Math.floor(rand() * P);
        const want = fresh.count(device);
        expect(counter.moveCount(device, node), `graph ${g}, move ${m}: node ${node} ${was} -> ${device[node]}`).to.equal(want);
        trials++;
        if (rand() < 0.3) expect(counter.setBaseline(device)).to.equal(want); // commit
        else device[node] = was;
        // A group: a run of consecutive nodes or a random set, some left where they are.
        const size = Math.min(n, 2 + Math.floor(rand() * 10));
        const start = Math.floor(rand() * (n - size + 1));
        const nodes = rand() < 0.5 ? Array.from({ length: size }, (_, k) => start + k) : [...new Set(Array.from({ length: size }, () => Math.floor(rand() * n)))];
        const before = nodes.map((i) => device[i]!);
        for (const i of nodes) if (rand() < 0.8) device[i] = Math.floor(rand() * P);
        expect(counter.movesCount(device, nodes), `graph ${g}, group ${m}`).to.equal(fresh.count(device));
        nodes.forEach((i, k) => { device[i] = before[k]!; });
        trials++;
      }
    }
    expect(trials).to.equal(200 * 40 * 2);
  });

  for (const [label, make] of [["mobilenet-like", () => mobileNetLike(0.5, 64)], ["vit-like, 2 blocks x 4 heads", () => vitLike({ depth: 2, heads: 4 })]] as const) {
    it(`equals searchCost for random move and run-move sequences on ${label} under orin-nano and h100-pcie`, async () => {
      const model = make();
      await new PassManager(instantiate(parsePipeline("shape-inference,cost,weight-sparsity"))).run(model);
      for (const device of ["orin-nano", "h100-pcie"]) {
        const sim = compileSim(model, loadProfile(device));
        const full = new PlanCost(sim);
        const cost = new PlanCost(sim);
        const inc = cost.incremental()!;
        expect(inc).to.not.equal(undefined);
        const rand = seededRandom(3);
        const free = sim.nodes.map((_, i) => i).filter((i) => !sim.hostOnly[i]);
        for (const bias of [0, 0.5, 1]) {
          const assign = Int32Array.from(sim.nodes, (_, i) => (sim.hostOnly[i] ? sim.host : rand() < bias ? 1 : 0));
          inc.sync(assign);
          for (let m = 0; m < 150; m++) {
            const i = free[Math.floor(rand() * free.length)]!;
            const was = assign[i]!;
            assign[i] = 1 - was;
            const got = inc.moveCost(assign, i);
            expect(got, `${device}, bias ${bias}, move ${m} (node ${i})`).to.equal(full.searchCost(assign));
            if (rand() < 0.3) inc.commit(i, assign[i]!);
            else assign[i] = was;
            if (m % 5 === 0) {
              // A run of consecutive free nodes onto one processor (the local search's run move).
              const size = 2 + Math.floor(rand() * 15);
              const at = Math.floor(rand() * Math.max(1, free.length - size));
              const nodes = free.slice(at, at + size);
              const p = rand() < 0.5 ? 0 : 1;
              const saved = nodes.map((x) => assign[x]!);
              for (const x of nodes) assign[x] = p;
              expect(inc.movesCost(assign, nodes), `${device}, bias ${bias}, run at ${at}`).to.equal(full.searchCost(assign));
              nodes.forEach((x, k) => { assign[x] = saved[k]!; });
            }
          }
        }
      }
    });
  }
});
