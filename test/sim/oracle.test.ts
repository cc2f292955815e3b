// The oracle is exact: on random DAGs it equals brute force over all 2^n placements (n <= 14),
// and the baselines are never better than it.
import { expect } from "chai";
import { oracle } from "../../src/planner/oracle.ts";
import { greedyAssignment } from "../../src/planner/baselines/greedy.ts";
import { heftAssignment } from "../../src/planner/baselines/heft.ts";
import { singleProcessor } from "../../src/planner/baselines/plan.ts";
import { compileSim } from "../../src/sim/sim-graph.ts";
import { evaluate } from "../../src/sim/simulator.ts";
import { PlanCost } from "../../src/planner/plan-cost.ts";
import { searchSpace } from "../../src/planner/baselines/index.ts";
import { randomDag, toyProfile } from "./graphs.ts";

/** The smallest search cost (simulation + call charge per segment) over all 2^n placements. */
function bruteForce(cost: PlanCost): number {
  const n = cost.sim.nodes.length;
  const a = new Int32Array(n);
  let best = Infinity;
  for (let mask = 0; mask < 1 << n; mask++) {
    for (let i = 0; i < n; i++) a[i] = (mask >> i) & 1;
    best = Math.min(best, cost.searchCost(a));
  }
  return best;
}

describe("oracle", () => {
  const cases: [number, number, boolean][] = [[4, 1, true], [7, 2, false], [10, 3, true], [12, 4, false], [14, 5, true], [14, 6, false]];
  for (const [n, seed, copyEngine] of cases) {
    it(`equals brute force over all 2^${n} placements (seed ${seed}, copy engine ${copyEngine})`, () => {
      const sim = compileSim(randomDag(n, seed), toyProfile({ copyEngine, runOverheadUs: 5 }));
      const starts = [singleProcessor(sim, 0), singleProcessor(sim, 1), greedyAssignment(sim), heftAssignment(sim)];
      // A tiny local-search budget so the bound, not the seed, has to find the optimum.
      const cost = new PlanCost(sim);
      const r = oracle(sim, searchSpace(cost), starts, { search: { maxEvaluations: 5 } });
      const brute = bruteForce(cost);
      expect(r.exact).to.equal(true);
      expect(r.cost).to.be.closeTo(brute, 1e-9);
      expect(cost.searchCost(r.assign)).to.be.closeTo(brute, 1e-9);
      for (const s of starts) expect(cost.searchCost(s)).to.be.at.least(brute - 1e-9);
    });
  }

  it("prunes: explores far fewer than 2^n nodes on a 22-node graph and still proves optimality", () => {
    const sim = compileSim(randomDag(22, 9), toyProfile());
    const r = oracle(sim, searchSpace(new PlanCost(sim)), [heftAssignment(sim)], { search: { maxEvaluations: 300 } });
    expect(r.exact).to.equal(true);
    expect(r.explored).to.be.below(2 ** 22 / 4);
  });

  it("labels the result best-known above the exact limit", () => {
    const sim = compileSim(randomDag(40, 11), toyProfile());
    const cost = new PlanCost(sim);
    const r = oracle(sim, searchSpace(cost), [heftAssignment(sim)], { search: { maxEvaluations: 500 } });
    expect(r.exact).to.equal(false);
    expect(r.reason).to.match(/40 free nodes > 25/);
    expect(r.cost).to.be.at.most(cost.searchCost(heftAssignment(sim)) + 1e-9);
  });
});
