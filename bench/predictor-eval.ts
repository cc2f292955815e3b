// The threshold predictor on the held-out split: for every held-out zoo model (whole families
// and the large size class, never trained on) on the bundled profiles and on perturbed ones,
// and for the light-corpus and npm-shipped models (static analysis, bundled profiles), the plan
// from each method's thresholds against the plan from the grid search's thresholds, by the one
// plan cost: unrefined (the threshold plan) and refined (the planner's local search seeded from
// the threshold plan and every baseline). Methods: the Transformer-LSTM and the pooled-feature
// MLP, each alone (the most likely bin) and as the hybrid (the predicted bin and the file's
// portfolio placed and simulated, the cheapest kept: K simulations instead of the grid's up to
// 144), the portfolio alone (no model), and the model's median thresholds (quantiles 0.5, 0.5).
// Regret = method ms / grid ms. Also the grid's distinct simulated plans per pair.
//   node --import tsx bench/predictor-eval.ts --zoo ZOO --seq seq.json --mlp mlp.json [--no-corpus] [--perturbed-refine] [--json out.json]
// In parallel: --shard K/N evaluates every N-th held-out model from the K-th (add --no-corpus to
// all shards but one) and --json writes its rows; --summarize a.json,b.json prints the summary
// of the shards' rows together.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Model } from "../ir/model.ts";
import { analyseForPlacement } from "../src/learn/analyse.ts";
import { profilesFor } from "../src/learn/dataset.ts";
import type { DeviceProfile } from "../src/devices/profile.ts";
import { loadProfile } from "../src/devices/profile.ts";
import { place, type Thresholds } from "../src/planner/place.ts";
import { planPlacement } from "../src/planner/planner.ts";
import { placementProblem, type PlacementProblem } from "../src/planner/problem.ts";
import { chooseThresholds } from "../src/planner/thresholds.ts";
import { defaultCandidates, predictThresholds } from "../src/predictor/predict.ts";
import { binQuantiles } from "../src/predictor/architecture.ts";
import { thresholdsFromQuantiles } from "../src/predictor/quantiles.ts";
import { loadPredictor, type Predictor } from "../src/predictor/weights.ts";
import { readZoo } from "../src/zoo/index.ts";
import { analysedModel, planCorpus } from "../test/support/plan-corpus.ts";

const { values: args } = parseArgs({ options: {
  zoo: { type: "string" }, seq: { type: "string" }, mlp: { type: "string" }, "no-corpus": { type: "boolean" },
  "perturbed-refine": { type: "boolean" }, candidates: { type: "string" }, json: { type: "string" }, "max-models": { type: "string" },
  shard: { type: "string" }, summarize: { type: "string" },
} });

const methods: { name: string; thresholds: (p: PlacementProblem) => Thresholds }[] = [];
const load = (f: string | undefined): Predictor | undefined => (f ? loadPredictor(f) : undefined);
const seq = load(args.seq), mlp = load(args.mlp);
/** --candidates K: bins judged by the hybrids (default: the predicted bin + the file's portfolio). */
const K = args.candidates === undefined ? undefined : Number(args.candidates);
const hybrid = (p: Predictor) => ({ ...(K === undefined ? {} : { candidates: K }) });
const kLabel = (p: Predictor) => `${K ?? defaultCandidates(p)}`;
for (const [name, p] of [["transformer-lstm", seq], ["mlp", mlp]] as const) {
  if (!p) continue;
  methods.push({ name, thresholds: (problem) => predictThresholds(p, problem, { candidates: 1 }).thresholds });
  if (p.config.output === "bins") methods.push({ name: `${name} + portfolio (K=${kLabel(p)})`, thresholds: (problem) => predictThresholds(p, problem, hybrid(p)).thresholds });
}
// The portfolio alone (no model: its bins judged, the cheapest kept): what the hybrid owes to the portfolio.
const withPortfolio = [seq, mlp].find((p) => p && p.portfolio.length > 0);
if (withPortfolio) methods.push({ name: `portfolio alone (K=${withPortfolio.portfolio.length})`, thresholds: (problem) => portfolioThresholds(withPortfolio, problem) });
methods.push({ name: "median", thresholds: (p) => thresholdsFromQuantiles(p, { sparsity: 0.5, intensity: 0.5 }) });

/** The cheapest of the portfolio's bins on this problem (ties: the earlier). */
function portfolioThresholds(p: Predictor, problem: PlacementProblem): Thresholds {
  let best: { t: Thresholds; cost: number } | undefined;
  for (const bin of p.portfolio) {
    const [sparsity, intensity] = binQuantiles(p.config, bin);
    const t = thresholdsFromQuantiles(problem, { sparsity, intensity });
    const cost = problem.cost.searchCost(place(problem, t).assign);
    if (!best || cost < best.cost - 1e-12) best = { t, cost };
  }
  return best!.t;
}

export interface Row { group: string; model: string; profile: string; kind: string; gridMs: number; gridPlans: number; gridRefinedMs?: number; regret: Record<string, number>; refinedRegret: Record<string, number> }
const rows: Row[] = args.summarize ? args.summarize.split(",").flatMap((f) => (JSON.parse(readFileSync(f, "utf8")) as { rows: Row[] }).rows) : [];

function evaluate(group: string, name: string, model: Model, profile: DeviceProfile, kind: string, refine: boolean): void {
  const problem = placementProblem(model, profile);
  const grid = chooseThresholds(problem);
  const gridMs = problem.cost.latency(grid.outcome.assign).ms;
  const gridPlan = refine ? planPlacement(problem, { sparsity: grid.sparsity, intensity: grid.intensity }) : undefined;
  const row: Row = { group, model: name, profile: profile.name, kind, gridMs, gridPlans: grid.distinctPlans, gridRefinedMs: gridPlan?.latency.ms, regret: {}, refinedRegret: {} };
  // Methods often agree on the thresholds: refine each distinct pair once (the planner is deterministic).
  const refined = new Map<string, number>();
  for (const m of methods) {
    const t = m.thresholds(problem);
    row.regret[m.name] = problem.cost.latency(place(problem, t).assign).ms / gridMs;
    if (!gridPlan) continue;
    const key = `${t.sparsity},${t.intensity}`;
    if (!refined.has(key)) refined.set(key, planPlacement(problem, { ...t, baselines: gridPlan.baselines }).latency.ms);
    row.refinedRegret[m.name] = refined.get(key)! / gridPlan.latency.ms;
  }
  rows.push(row);
  console.error(`${group} ${name} ${profile.name}: grid ${gridMs.toFixed(3)} ms; ${methods.map((m) => `${m.name} ${row.regret[m.name]!.toFixed(3)}${gridPlan ? `/${row.refinedRegret[m.name]!.toFixed(3)}` : ""}`).join(", ")}`);
}

const bundled = ["orin-nano", "agx-orin", "h100-pcie"].map((n) => loadProfile(n));
const [shard, shards] = (args.shard ?? "0/1").split("/").map(Number) as [number, number];
if (args.zoo && !args.summarize) {
  const { models } = readZoo(args.zoo);
  const test = models.map((m, index) => ({ m, index })).filter(({ m }) => m.entry.split === "test").filter((_, k) => k % shards === shard).slice(0, Number(args["max-models"] ?? 1e9));
  for (const { m, index } of test) {
    const model = await analyseForPlacement(m.path);
    const profiles = profilesFor(index, { seed: 1, perturbed: 5 });
    for (const p of profiles) evaluate("held-out zoo", m.entry.file, model, p, p.name.includes("~") ? "perturbed" : p.name, !p.name.includes("~") || args["perturbed-refine"] === true);
  }
}
if (!args["no-corpus"] && !args.summarize) {
  for (const c of planCorpus()) {
    let model: Model;
    try { model = await analysedModel(c); } catch (e) { console.error(`skip ${c.name}: ${(e as Error).message.split("\n")[0]}`); continue; }
    for (const p of bundled) evaluate("corpus", c.name, model, p, p.name, false);
  }
}

const quantile = (xs: number[], q: number) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : NaN; };
const summary: Record<string, unknown>[] = [];
const groups = [...new Set(rows.map((r) => `${r.group}|${r.kind}`))];
for (const g of groups) {
  const [group, kind] = g.split("|");
  const rs = rows.filter((r) => r.group === group && r.kind === kind);
  for (const name of Object.keys(rs[0]!.regret)) {
    const m = { name };
    const u = rs.map((r) => r.regret[m.name]!);
    const f = rs.filter((r) => r.refinedRegret[m.name] !== undefined).map((r) => r.refinedRegret[m.name]!);
    const entry = { group, profile: kind, method: m.name, n: u.length, median: quantile(u, 0.5), p90: quantile(u, 0.9), worst: Math.max(...u), refinedN: f.length, refinedMedian: f.length ? quantile(f, 0.5) : null, refinedP90: f.length ? quantile(f, 0.9) : null };
    summary.push(entry);
    console.log(`${group.padEnd(13)} ${kind!.padEnd(10)} ${m.name.padEnd(34)} n=${String(u.length).padStart(3)} unrefined median ${entry.median.toFixed(4)} p90 ${entry.p90.toFixed(4)} worst ${entry.worst.toFixed(3)}${f.length ? ` | refined n=${f.length} median ${entry.refinedMedian!.toFixed(4)} p90 ${entry.refinedP90!.toFixed(4)}` : ""}`);
  }
}
const plans = rows.map((r) => r.gridPlans).sort((a, b) => a - b);
console.log(`grid search: ${quantile(plans, 0.5)} distinct plans simulated per pair (median; p90 ${quantile(plans, 0.9)}, max ${plans[plans.length - 1]}) over ${rows.length} pairs`);
if (args.json) writeFileSync(args.json, JSON.stringify({ rows, summary }, null, 2));
