// How fast the planner searches: plan-cost evaluations per second (simulation + the partition
// call charge) with the full event-driven simulation and with the fast evaluator
// (src/sim/fast-eval.ts), on a generated ViT-like transformer (about 1,450 placeable nodes) and on
// the corpus's largest model; and the wall time of sparoa's whole planning (threshold search,
// baselines, refinement with the default budget) with each.
//   node --import tsx bench/planner-search.ts
import { vitLike } from "./support/models.ts";
import { loadProfile } from "../src/devices/profile.ts";
import { PlanCost } from "../src/planner/plan-cost.ts";
import { fullSimulation, makespanEvaluator } from "../src/planner/evaluator.ts";
import { planPlacement } from "../src/planner/planner.ts";
import { placementProblem } from "../src/planner/problem.ts";
import { seededRandom } from "../ir/random.ts";
import { analysedModel, planCorpus } from "../test/support/plan-corpus.ts";

const models = [{ name: "vit-like (12 blocks x 12 heads)", load: () => vitLike() }, ...planCorpus().filter((m) => m.name === "light_densenet121")];
for (const m of models) {
  const model = await analysedModel(m);
  const problem = placementProblem(model, loadProfile("orin-nano"));
  const sim = problem.sim;
  const rand = seededRandom(3);
  const plans = Array.from({ length: 16 }, () => Int32Array.from(sim.nodes, (_, i) => (sim.hostOnly[i] ? sim.host : rand() < 0.5 ? 0 : 1)));
  const rate = (cost: PlanCost) => {
    let k = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 2000) cost.searchCost(plans[k++ % plans.length]!);
    return (k / (performance.now() - t0)) * 1000;
  };
  const full = rate(new PlanCost(sim, fullSimulation(sim)));
  const fast = rate(new PlanCost(sim, makespanEvaluator(sim)));
  const placeable = [...sim.hostOnly].filter((h) => !h).length;
  console.log(`${m.name}: ${sim.nodes.length} nodes, ${placeable} placeable; plan-cost evaluations/s: full simulation ${full.toFixed(0)}, fast evaluator ${fast.toFixed(0)} (${(fast / full).toFixed(2)}x)`);
  for (const [label, ev] of [["full simulation", fullSimulation], ["fast evaluator", makespanEvaluator]] as const) {
    const p = placementProblem(model, loadProfile("orin-nano"));
    p.cost = new PlanCost(p.sim, ev(p.sim));
    const t0 = performance.now();
    const plan = planPlacement(p);
    console.log(`  planning with the ${label}: ${((performance.now() - t0) / 1000).toFixed(2)} s, refinement ${plan.refinement!.evaluations} evaluations, ${plan.latency.ms.toFixed(4)} ms from ${plan.finalStage}`);
  }
}
