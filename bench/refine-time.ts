// Wall and CPU time of sparoa's planning of one large model, stage by stage: the threshold
// choice + baselines (planPlacement with --no-refine), then the whole planning with the local
// search refinement and with the SAC scheduler (src/scheduler/refine.ts), under the default
// budget (defaultSearchEvaluations) or --evaluations N. The model is the zoo's vit-large preset (1,457 placeable
// nodes) unless a path is given. CPU time is this process's (user + system), which the machine's
// load does not inflate the way it does wall time.
//   node --import tsx bench/refine-time.ts [--device orin-nano] [--runs 3] [--evaluations N] [model.onnx]
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { loadModel, type Model } from "../ir/index.ts";
import { loadProfile } from "../src/devices/profile.ts";
import { planPlacement, type PlannerOptions } from "../src/planner/planner.ts";
import { placementProblem } from "../src/planner/problem.ts";
import { median } from "../src/runtime/stats.ts";
import { sacRefiner } from "../src/scheduler/refine.ts";
import { schedulerBackend } from "../src/scheduler/tf.ts";
import { loadSchedulerWeights } from "../src/scheduler/weights.ts";
import { ZOO_PRESETS, generateZooModel } from "../src/zoo/index.ts";
import { analysedModel } from "../test/support/plan-corpus.ts";

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: {
  device: { type: "string", default: "orin-nano" },
  runs: { type: "string", default: "3" },
  evaluations: { type: "string" },
} });
const runs = Number(args.runs);
/** A budget other than the default (e.g. 10x it, the long oracle's), to time the refinement's own rate. */
const search = args.evaluations ? { maxEvaluations: Number(args.evaluations) } : undefined;
const path = positionals[0];
const model: Model = await analysedModel({ name: path ?? "zoo-vit-large", load: () => (path ? loadModel(path) : generateZooModel(ZOO_PRESETS["vit-large"](0))) });
await schedulerBackend();
const refiner = sacRefiner({ weights: loadSchedulerWeights(undefined) });
const profile = loadProfile(args.device!);

interface Timing { wallS: number; cpuS: number; ms: number; evaluations: number; from: string }
function timed(options: PlannerOptions): Timing {
  const problem = placementProblem(model, profile);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const plan = planPlacement(problem, options);
  const dc = process.cpuUsage(c0);
  return { wallS: (performance.now() - t0) / 1000, cpuS: (dc.user + dc.system) / 1e6, ms: plan.latency.ms, evaluations: plan.refinement?.evaluations ?? 0, from: plan.finalStage };
}

console.log(`refine-time: ${new Date().toISOString()}, ${model.graph.name}, ${args.device}, load ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
const cases: [string, PlannerOptions][] = [["thresholds + baselines only", { refine: false }], ["local search", { search }], ["sac scheduler", { refiner, search }]];
for (const [label, options] of cases) {
  const t: Timing[] = [];
  for (let r = 0; r < runs; r++) t.push(timed(options));
  const last = t[t.length - 1]!;
  console.log(`  ${label}: wall ${median(t.map((x) => x.wallS)).toFixed(2)} s, CPU ${median(t.map((x) => x.cpuS)).toFixed(2)} s (medians of ${runs}); plan ${last.ms.toFixed(3)} ms from ${last.from}, ${last.evaluations} simulations`);
}
console.log(`load at end ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
