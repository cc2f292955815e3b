// Prediction time against the grid search it replaces, on zoo preset vit-large (>1,400 placeable
// nodes): loading the predictor once, then per call features + forward + thresholds (alone, and
// as the hybrid: the predicted bin and the portfolio placed and simulated); the grid
// search (chooseThresholds: up to 144 threshold pairs placed, distinct plans simulated) on the
// same compiled problem. Medians of several runs, same process, same problem.
//   node --import tsx bench/predictor-time.ts [--predictor FILE] [--profile orin-nano] [--runs 7]
import { parseArgs } from "node:util";
import { loadProfile } from "../src/devices/profile.ts";
import { registerBuiltinPasses } from "../passes/builtin-passes.ts";
import { PassManager } from "../passes/manager.ts";
import { instantiate } from "../passes/pipeline.ts";
import { placementProblem } from "../src/planner/problem.ts";
import { chooseThresholds } from "../src/planner/thresholds.ts";
import { freeNodes } from "../src/predictor/features.ts";
import { defaultCandidates, predictThresholds } from "../src/predictor/predict.ts";
import { BUNDLED_PREDICTOR, loadPredictor } from "../src/predictor/weights.ts";
import { generateZooModel, ZOO_PRESETS } from "../src/zoo/index.ts";

registerBuiltinPasses();

const { values: args } = parseArgs({ options: { predictor: { type: "string" }, profile: { type: "string" }, runs: { type: "string" } } });
const runs = Number(args.runs ?? 7);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]!; };
// Wall time and this process's CPU time (user + system): on a machine shared by many jobs the
// wall time mostly measures waiting for a core, the CPU time what the work costs.
const wall: Record<string, number[]> = {};
const time = (name: string, f: () => void) => {
  const c = process.cpuUsage(), t = performance.now();
  f();
  const w = performance.now() - t, u = process.cpuUsage(c);
  (wall[name] ??= []).push(w);
  return (u.user + u.system) / 1000;
};

const model = generateZooModel(ZOO_PRESETS["vit-large"](0));
await new PassManager(instantiate([{ name: "shape-inference", options: {} }, { name: "cost", options: {} }, { name: "weight-sparsity", options: {} }])).run(model);
const problem = placementProblem(model, loadProfile(args.profile ?? "orin-nano"));
const file = args.predictor ?? BUNDLED_PREDICTOR;
let predictor = loadPredictor(file);
const loadMs = median(Array.from({ length: runs }, () => time("load", () => { predictor = loadPredictor(file); })));
predictThresholds(predictor, problem); // warm-up (JIT)
chooseThresholds(problem);
const K = defaultCandidates(predictor);
const predictMs = median(Array.from({ length: runs }, () => time("predict", () => predictThresholds(predictor, problem, { candidates: 1 }))));
const hybridMs = median(Array.from({ length: runs }, () => time("hybrid", () => predictThresholds(predictor, problem))));
const gridMs = median(Array.from({ length: runs }, () => time("grid", () => chooseThresholds(problem))));
const grid = chooseThresholds(problem);
const simulated = predictThresholds(predictor, problem).simulated;
console.log(`vit-large: ${problem.sim.nodes.length} nodes, ${freeNodes(problem).length} free (placeable) on ${problem.profile.name}; predictor ${predictor.config.kind} (${predictor.config.output}), ${(predictor.bytes / 1024).toFixed(0)} KiB of parameters`);
const w = (name: string) => median(wall[name] ?? [NaN]).toFixed(1);
console.log(`CPU ms (median of ${runs}): load ${loadMs.toFixed(1)}; predict ${predictMs.toFixed(1)}; hybrid (K=${K} bins: predicted + portfolio, ${simulated} distinct plans simulated) ${hybridMs.toFixed(1)}; grid search (${grid.evaluated} pairs, ${grid.distinctPlans} plans simulated) ${gridMs.toFixed(1)}; grid / predict = ${(gridMs / predictMs).toFixed(1)}x, grid / hybrid = ${(gridMs / hybridMs).toFixed(1)}x`);
console.log(`wall ms (median of ${runs}): load ${w("load")}; predict ${w("predict")}; hybrid ${w("hybrid")}; grid search ${w("grid")}`);
