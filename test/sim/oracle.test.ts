// The oracle is exact: on random DAGs it equals brute force over all 2^n placements (n <= 14),
// and the baselines are never better than it.
import { expect } from "chai";
import { oracle } from "../../src/baselines/oracle.ts";
import { greedyAssignment } from "../../src/baselines/greedy.ts";
import { heftAssignment } from "../../src/baselines/heft.ts";
import { singleProcessor } from "../../src/baselines/plan.ts";
import { compileSim } from "../../src/sim/sim-graph.ts";
import { evaluate } from "../../src/sim/simulator.ts";
import { randomDag, toyProfile } from "./graphs.ts";

function bruteForce(sim: ReturnType<typeof compileSim>): number {
  const n = sim.nodes.length;
  const a = new Int32Array(n);
  let best = Infinity;
  for (let mask = 0; mask < 1 << n; mask++) {
    for (let i = 0; i < n; i++) a[i] = (mask >> i) & 1;
    best = Math.min(best, evaluate(sim, a, false).makespanMs);
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
      const r = oracle(sim, starts, { search: { maxEvaluations: 5 } });
      const brute = bruteForce(sim);
      expect(r.exact).to.equal(true);
      expect(r.makespanMs).to.be.closeTo(brute, 1e-9);
      expect(evaluate(sim, r.assign, false).makespanMs).to.be.closeTo(brute, 1e-9);
      for (const s of starts) expect(evaluate(sim, s, false).makespanMs).to.be.at.least(brute - 1e-9);
    });
  }

  it("prunes: explores far fewer than 2^n nodes on a 22-node graph and still proves optimality", () => {
    const sim = compileSim(randomDag(22, 9), toyProfile());
    const r = oracle(sim, [heftAssignment(sim)], { search: { maxEvaluations: 300 } });
    expect(r.exact).to.equal(true);
    expect(r.explored).to.be.below(2 ** 22 / 4);
  });

  it("labels the result best-known above the exact limit", () => {
    const sim = compileSim(randomDag(40, 11), toyProfile());
    const r = oracle(sim, [heftAssignment(sim)], { search: { maxEvaluations: 500 } });
    expect(r.exact).to.equal(false);
    expect(r.reason).to.match(/40 placeable nodes > 25/);
    expect(r.makespanMs).to.be.at.most(evaluate(sim, heftAssignment(sim), false).makespanMs + 1e-9);
  });
});
