// Which intensity axis makes the better threshold plans: absolute FLOPs per node (the SparOA
// paper's) or FLOP/byte (arithmetic intensity)? For every corpus model and profile, the
// threshold stage alone (grid search + quadrant rule + smoothing, no refinement) under each
// axis, judged by the one plan cost. Static analyses, as `optimize --no-calibrate`.
//   node --import tsx bench/intensity-axis.ts
import { loadProfile } from "../src/devices/profile.ts";
import { planPlacement } from "../src/planner/planner.ts";
import { INTENSITY_AXES, placementProblem } from "../src/planner/problem.ts";
import { analysedModel, geomean, planCorpus, PLAN_PROFILES } from "../test/support/plan-corpus.ts";

const ratios = new Map<string, number[]>(PLAN_PROFILES.map((p) => [p, []]));
let wins = 0, losses = 0, ties = 0;
for (const m of planCorpus()) {
  const model = await analysedModel(m);
  for (const profile of PLAN_PROFILES) {
    const [flops, perByte] = INTENSITY_AXES.map((axis) => planPlacement(placementProblem(model, loadProfile(profile), { intensity: axis }), { refine: false }).latency.ms);
    const r = perByte! / flops!; // > 1: the FLOPs axis gives the faster threshold plan
    ratios.get(profile)!.push(r);
    if (r > 1 + 1e-9) wins++; else if (r < 1 - 1e-9) losses++; else ties++;
    console.log(`${m.name} ${profile}: flops ${flops!.toFixed(4)} ms, flop-per-byte ${perByte!.toFixed(4)} ms`);
  }
}
for (const [p, rs] of ratios) console.log(`${p}: geomean flop-per-byte ms / flops ms = ${geomean(rs).toFixed(4)} over ${rs.length} models`);
console.log(`flops axis faster in ${wins}, slower in ${losses}, equal in ${ties} (threshold stage only, before refinement)`);
