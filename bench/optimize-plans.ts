// sparoa's plans against every baseline and a ten-times-longer oracle, all under the one plan
// cost (simulation + one runtime call per extra partition), for every light-corpus and npm model
// plus generated CNN, multi-branch and transformer models, under orin-nano, agx-orin and
// h100-pcie; and the planning time per model. Static analyses (shapes, cost, weight sparsity),
// as `optimize --no-calibrate`. Predictions from the profiles' latency model and simulator, not runs.
//   node --import tsx bench/optimize-plans.ts [--budget N] [--intensity flops|flop-per-byte] [--no-oracle] [--no-large]
import { defaultSearchEvaluations } from "../src/planner/local-search.ts";
import type { IntensityAxis } from "../src/planner/problem.ts";
import { analysedModel, geomean, planCorpus, planRow, PLAN_PROFILES, type PlanRow } from "../test/support/plan-corpus.ts";

const arg = (name: string) => { const k = process.argv.indexOf(name); return k >= 0 ? process.argv[k + 1] : undefined; };
const budget = arg("--budget") === undefined ? undefined : Number(arg("--budget"));
const intensity = arg("--intensity") as IntensityAxis | undefined;
const withOracle = !process.argv.includes("--no-oracle");
const BASELINES = ["cpu-only", "gpu-only", "greedy", "heft", "codl"];
const rows: PlanRow[] = [];
console.log(`| model | nodes | profile | sparoa ms | from | ${BASELINES.map((b) => `vs ${b}`).join(" | ")}${withOracle ? " | oracle(10x) / sparoa" : ""} | planning s |`);
console.log(`| --- | --- | --- | --- | --- | ${BASELINES.map(() => "---").join(" | ")}${withOracle ? " | ---" : ""} | --- |`);
for (const m of planCorpus({ large: !process.argv.includes("--no-large") })) {
  const model = await analysedModel(m);
  for (const profile of PLAN_PROFILES) {
    const evaluations = budget ?? defaultSearchEvaluations(model.graph.nodes.length);
    const r = planRow(model, m.name, profile, budget, withOracle ? 10 * evaluations : undefined, intensity);
    rows.push(r);
    const f = (x: number) => (x >= 10 ? x.toFixed(2) : x.toFixed(3));
    const vs = BASELINES.map((b) => (r.baselines[b] === undefined ? "-" : `${(r.baselines[b]! / r.sparoaMs).toFixed(3)}x`));
    console.log(`| ${r.model} | ${r.nodes} | ${profile} | ${f(r.sparoaMs)} | ${r.finalStage} | ${vs.join(" | ")}${withOracle ? ` | ${(r.oracleMs! / r.sparoaMs).toFixed(4)}` : ""} | ${(r.planningMs / 1000).toFixed(2)} |`);
  }
}
console.log("");
for (const p of PLAN_PROFILES) {
  const mine = rows.filter((r) => r.profile === p);
  const best = geomean(mine.map((r) => Math.min(...Object.values(r.baselines)) / r.sparoaMs));
  const worst = Math.min(...mine.map((r) => Math.min(...Object.values(r.baselines)) / r.sparoaMs));
  const oracle = withOracle ? `, oracle(10x)/sparoa geomean ${geomean(mine.map((r) => r.oracleMs! / r.sparoaMs)).toFixed(4)}` : "";
  const stages = mine.reduce<Record<string, number>>((a, r) => { a[r.finalStage] = (a[r.finalStage] ?? 0) + 1; return a; }, {});
  console.log(`${p}: ${mine.length} models, vs best baseline geomean ${best.toFixed(4)}x (min ${worst.toFixed(4)}x)${oracle}; final plan from ${Object.entries(stages).map(([k, v]) => `${k} ${v}`).join(", ")}; planning time median ${median(mine.map((r) => r.planningMs / 1000)).toFixed(2)} s, max ${Math.max(...mine.map((r) => r.planningMs / 1000)).toFixed(2)} s`);
}
console.log(`budget: ${budget ?? "default (defaultSearchEvaluations: 2e6 / nodes, 200..8000)"} simulations for sparoa's refinement, 10x for the oracle; intensity axis ${intensity ?? "default"}`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
