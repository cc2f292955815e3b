// The planner's corpus: every light-corpus and npm-shipped model plus generated CNN,
// multi-branch and transformer models (the zoo's presets), analysed as optimize analyses them (static: shapes, cost,
// weight sparsity), and one row per model and profile: sparoa's plan against every baseline and
// a longer-budget oracle, all under the one plan cost. Shared by test/planner/guarantee.test.ts
// (small budgets) and bench/optimize-plans.ts (default budgets).
import { loadModel, type Model } from "../../ir/index.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { PassManager } from "../../passes/manager.ts";
import { instantiate } from "../../passes/pipeline.ts";
import { generateZooModel, ZOO_PRESETS, type ZooPreset } from "../../src/zoo/index.ts";
import { loadProfile } from "../../src/devices/profile.ts";
import { oraclePlan, searchSpace } from "../../src/planner/baselines/index.ts";
import { planPlacement } from "../../src/planner/planner.ts";
import { placementProblem, type IntensityAxis } from "../../src/planner/problem.ts";
import { lightModels, npmModels } from "./corpus.ts";
import { NPM_BINDINGS } from "./npm-bindings.ts";

registerBuiltinPasses();

export const PLAN_PROFILES = ["orin-nano", "agx-orin", "h100-pcie"] as const;

export interface CorpusModel { name: string; load: () => Model; shapes?: string }

/** Generated models (src/zoo presets, seed 0): CNNs, a multi-branch net, transformers. */
const ZOO_MODELS: ZooPreset[] = ["resnet-medium", "mobilenet-medium", "inception-medium", "shufflenet-medium", "vit-small", "swin-medium", "mixer-medium"];

/** Light corpus and npm models (when present) and the generated ones (always); `large` adds vit-large (1,457 nodes). */
export function planCorpus(options: { large?: boolean } = {}): CorpusModel[] {
  const files = [...lightModels(), ...npmModels()].map((path) => {
    const name = path.split("/").pop()!.replace(/\.onnx$/, "");
    return { name, load: () => loadModel(path), shapes: NPM_BINDINGS[`${name}.onnx`]?.shapes };
  });
  const presets: ZooPreset[] = [...ZOO_MODELS, ...(options.large ? ["vit-large" as const] : [])];
  return [...files, ...presets.map((p) => ({ name: `zoo-${p}`, load: () => generateZooModel(ZOO_PRESETS[p](0)) }))];
}

/** The static analyses optimize runs before placement. */
export async function analysedModel(m: CorpusModel): Promise<Model> {
  const model = m.load();
  const shapes: Record<string, string> = m.shapes ? { "input-shape": m.shapes } : {};
  await new PassManager(instantiate([{ name: "shape-inference", options: shapes }, { name: "cost", options: {} }, { name: "weight-sparsity", options: {} }])).run(model);
  return model;
}

export interface PlanRow {
  model: string;
  profile: string;
  nodes: number;
  sparoaMs: number;
  finalStage: string;
  /** Every baseline's latency under the same cost. */
  baselines: Record<string, number>;
  /** The oracle with the long budget (when asked). */
  oracleMs?: number;
  /** Wall time of sparoa's planning (thresholds, baselines, refinement), ms. */
  planningMs: number;
  evaluations: number;
}

export function planRow(model: Model, name: string, profileName: string, budget?: number, longBudget?: number, intensity?: IntensityAxis): PlanRow {
  const profile = loadProfile(profileName);
  const t0 = performance.now();
  const problem = placementProblem(model, profile, { intensity });
  const plan = planPlacement(problem, { search: { maxEvaluations: budget } });
  const planningMs = performance.now() - t0;
  const baselines = Object.fromEntries(plan.baselines.map((b) => [b.name, b.latency.ms]));
  const row: PlanRow = { model: name, profile: profileName, nodes: problem.sim.nodes.length, sparoaMs: plan.latency.ms, finalStage: plan.finalStage, baselines, planningMs, evaluations: plan.refinement?.evaluations ?? 0 };
  if (longBudget !== undefined) row.oracleMs = oraclePlan(problem.cost, searchSpace(problem.cost), plan.baselines, { search: { maxEvaluations: longBudget } }).latency.ms;
  return row;
}

export const geomean = (xs: readonly number[]) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / Math.max(1, xs.length));
