// The SAC scheduler against the local search at the same budget of simulations and against a
// long-budget oracle, all under the one plan cost, on the held-out zoo split, the light corpus and
// the npm models, under orin-nano, agx-orin and h100-pcie; the ablation (thresholds only, +SAC,
// +local search, SAC alone, SAC + local search), generalisation to unseen families with and
// without the fine-tune, search time per model, and the hardware-state sensitivity (idle vs 75%
// busy CPU). Predictions of the simulator, not runs on the devices (no GPU here).
//   node --import tsx bench/scheduler.ts --zoo DIR [--weights FILE] [--oracle-factor 10] [--large FILE] [--max-nodes N] [--sets zoo,light,npm,"zoo presets"]
import { availableParallelism, loadavg } from "node:os";
import { loadProfile, type DeviceProfile } from "../src/devices/profile.ts";
import { adjustProfile } from "../src/devices/state-profile.ts";
import { oraclePlan, searchSpace } from "../src/planner/baselines/index.ts";
import { defaultSearchEvaluations, localSearch } from "../src/planner/local-search.ts";
import { fixRoles, planPlacement } from "../src/planner/planner.ts";
import { placementProblem, type PlacementProblem } from "../src/planner/problem.ts";
import type { RefineRequest } from "../src/planner/refiner.ts";
import { analyseForPlacement } from "../src/learn/analyse.ts";
import { syntheticState, zooCorpus, type CorpusModel } from "../src/learn/scheduler-corpus.ts";
import { lastSacDetail, sacRefine, type SacRefinerOptions } from "../src/scheduler/refine.ts";
import { schedulerBackend } from "../src/scheduler/tf.ts";
import { movableNodes } from "../src/learn/scheduler-train.ts";
import { loadSchedulerWeights } from "../src/scheduler/weights.ts";
import { HELD_OUT_FAMILIES } from "../src/zoo/index.ts";
import { analysedModel, geomean, planCorpus, PLAN_PROFILES } from "../test/support/plan-corpus.ts";
import type { Model } from "../ir/index.ts";

const arg = (name: string) => { const k = process.argv.indexOf(name); return k >= 0 ? process.argv[k + 1] : undefined; };
const zoo = arg("--zoo");
const weights = loadSchedulerWeights(arg("--weights"));
const oracleFactor = Number(arg("--oracle-factor") ?? 10);
const maxNodes = Number(arg("--max-nodes") ?? Infinity);
const sets = (arg("--sets") ?? "zoo,light,npm,zoo presets").split(",");
const backend = await schedulerBackend();
console.log(`# bench/scheduler.ts ${new Date().toISOString()}, ${availableParallelism()} cores, load ${loadavg().map((x) => x.toFixed(1)).join(" ")}, tfjs ${backend}; weights: ${weights.training.models.length} models, ${weights.training.steps} steps`);

interface Named { name: string; set: string; family?: string; model: Model }
const models: Named[] = [];
if (zoo && sets.includes("zoo")) for (const m of await zooCorpus(zoo, "test", { maxNodes })) models.push({ name: m.name, set: "zoo held-out", family: m.name.replace(/-\d+$/, ""), model: m.model });
for (const m of planCorpus()) {
  if (m.name.startsWith("gen-")) continue;
  const set = m.name.startsWith("light_") ? "light" : m.name.startsWith("zoo-") ? "zoo presets" : "npm";
  if (!sets.includes(set)) continue;
  models.push({ name: m.name, set, model: await analysedModel(m) });
}
const large = arg("--large");
if (large) models.push({ name: large.split("/").pop()!.replace(/\.onnx$/, ""), set: "large", model: await analyseForPlacement(large, { calibrate: false }) });

interface Row { set: string; name: string; family?: string; profile: string; nodes: number; free: number; budget: number; t: number; ls: number; sac: number; sacNoFt: number; sacAlone: number; sacLs: number; lsFinal: number; sacLsFinal: number; oracle: number; lsMs: number; sacLsMs: number; sacMs: number }
const rows: Row[] = [];

function request(problem: PlacementProblem): { req: RefineRequest; best: number } {
  const plan = planPlacement(problem, { refine: false });
  const free = movableNodes(problem);
  const starts = [plan.thresholdPlan.assign, ...plan.baselines.map((b) => b.assign)];
  const best = Math.min(plan.latency.ms, ...plan.baselines.map((b) => b.latency.ms));
  return { req: { problem, space: searchSpace(problem.cost, free), starts, startNames: ["thresholds", ...plan.baselines.map((b) => b.name)], thresholdPlan: plan.thresholdPlan, search: { seed: 1 } }, best };
}
const exact = (problem: PlacementProblem, assign: Int32Array) => { const a = Int32Array.from(assign); fixRoles(problem, a); return problem.cost.latency(a).ms; };
const timed = <T>(f: () => T): [T, number] => { const t = performance.now(); const r = f(); return [r, performance.now() - t]; };

for (const m of models) {
  if (m.model.graph.nodes.length > maxNodes) continue;
  for (const profileName of PLAN_PROFILES) {
    const problem = placementProblem(m.model, loadProfile(profileName));
    const { req, best } = request(problem);
    const budget = defaultSearchEvaluations(req.space.nodes);
    req.search = { seed: 1, maxEvaluations: budget };
    const sac = (o: Partial<SacRefinerOptions>) => timed(() => sacRefine(req, { weights, ...o }));
    const [ls, lsMs] = timed(() => localSearch(req.space, req.starts, req.search));
    const [sacLs, sacLsMs] = sac({});
    const detail = lastSacDetail!;
    const sacOnly = { assign: detail.sacAssign! };
    const sacMs = detail.sweepMs + detail.fineTuneMs;
    const [sacNoFt] = sac({ polish: false, fineTuneShare: 0 });
    const [alone] = sac({ polish: false, fineTuneShare: 0, fromCpuOnly: true });
    const oracle = oraclePlan(problem.cost, searchSpace(problem.cost), planPlacement(problem, { refine: false }).baselines, { search: { maxEvaluations: oracleFactor * budget, seed: 1 } }).latency.ms;
    const t = exact(problem, req.thresholdPlan.assign);
    const row: Row = {
      set: m.set, name: m.name, family: m.family, profile: profileName, nodes: problem.sim.nodes.length, free: req.space.free.length, budget, t,
      ls: exact(problem, ls.assign), sac: exact(problem, sacOnly.assign), sacNoFt: exact(problem, sacNoFt.assign), sacAlone: exact(problem, alone.assign), sacLs: exact(problem, sacLs.assign),
      lsFinal: 0, sacLsFinal: 0, oracle, lsMs, sacLsMs, sacMs,
    };
    row.lsFinal = Math.min(row.ls, t, best);
    row.sacLsFinal = Math.min(row.sacLs, t, best);
    row.oracle = Math.min(row.oracle, row.lsFinal, row.sacLsFinal);
    rows.push(row);
    console.error(`${m.set} ${m.name} ${profileName}: nodes ${row.nodes} budget ${budget} t ${t.toPrecision(4)} ls ${row.ls.toPrecision(4)} sac ${row.sac.toPrecision(4)} sac+ls ${row.sacLs.toPrecision(4)} oracle ${row.oracle.toPrecision(4)} | ls ${(lsMs / 1000).toFixed(2)} s sac+ls ${(sacLsMs / 1000).toFixed(2)} s (sweep ${detail.sweepEvaluations} sims ${(detail.sweepMs / 1000).toFixed(2)} s, fine-tune ${detail.fineTuneEvaluations} sims ${detail.fineTuneUpdates} updates ${(detail.fineTuneMs / 1000).toFixed(2)} s, polish ${detail.polishEvaluations} sims ${(detail.polishMs / 1000).toFixed(2)} s)`);
  }
}

const g = (rs: Row[], f: (r: Row) => number) => geomean(rs.map(f)).toFixed(4);
console.log("\n## Plan quality: geomean of plan ms / oracle ms (1.0000 = the long-budget oracle; lower is better), same budget of simulations for local search and SAC");
console.log("| set | profile | models | thresholds only | + local search | + SAC (policy + fine-tune) | + SAC + local search | SAC alone (policy from CPU-only, no fine-tune) | final, local search | final, SAC + local search |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const set of [...new Set(rows.map((r) => r.set))]) for (const p of PLAN_PROFILES) {
  const rs = rows.filter((r) => r.set === set && r.profile === p);
  if (rs.length === 0) continue;
  console.log(`| ${set} | ${p} | ${rs.length} | ${g(rs, (r) => r.t / r.oracle)} | ${g(rs, (r) => r.ls / r.oracle)} | ${g(rs, (r) => r.sac / r.oracle)} | ${g(rs, (r) => r.sacLs / r.oracle)} | ${g(rs, (r) => r.sacAlone / r.oracle)} | ${g(rs, (r) => r.lsFinal / r.oracle)} | ${g(rs, (r) => r.sacLsFinal / r.oracle)} |`);
}
const wins = rows.filter((r) => r.sacLsFinal < r.lsFinal - 1e-9).length;
const losses = rows.filter((r) => r.sacLsFinal > r.lsFinal + 1e-9).length;
console.log(`\nSAC + local search vs local search (final plans, same budget): better on ${wins}, worse on ${losses}, equal on ${rows.length - wins - losses} of ${rows.length} (model, profile) pairs; geomean ratio ${g(rows, (r) => r.sacLsFinal / r.lsFinal)}`);

console.log("\n## Generalisation: held-out families (never trained on), SAC policy without and with the on-model fine-tune (no local search), geomean plan ms / oracle ms");
console.log("| family | pairs | SAC, no fine-tune | SAC + fine-tune | local search |");
console.log("| --- | --- | --- | --- | --- |");
for (const fam of [...new Set(rows.filter((r) => r.family).map((r) => r.family!))]) {
  const rs = rows.filter((r) => r.family === fam);
  console.log(`| ${fam}${HELD_OUT_FAMILIES.includes(fam as never) ? " (held-out family)" : " (held-out size)"} | ${rs.length} | ${g(rs, (r) => r.sacNoFt / r.oracle)} | ${g(rs, (r) => r.sac / r.oracle)} | ${g(rs, (r) => r.ls / r.oracle)} |`);
}

console.log("\n## Search time per model (this machine, loaded): refinement wall time");
console.log("| model | nodes | free | profile | budget | local search s | SAC (policy + fine-tune) s | SAC + local search s |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of [...rows].sort((a, b) => b.nodes - a.nodes).slice(0, 12)) console.log(`| ${r.name} | ${r.nodes} | ${r.free} | ${r.profile} | ${r.budget} | ${(r.lsMs / 1000).toFixed(2)} | ${(r.sacMs / 1000).toFixed(2)} | ${(r.sacLsMs / 1000).toFixed(2)} |`);
console.log(`max SAC + local search time: ${(Math.max(...rows.map((r) => r.sacLsMs)) / 1000).toFixed(2)} s over ${rows.length} pairs (largest model ${Math.max(...rows.map((r) => r.nodes))} nodes)`);

console.log("\n## Hardware-state sensitivity: idle CPU vs 75%-busy CPU (SAC + local search, then the guarantee)");
console.log("| model | profile | idle plan: CPU work share | busy plan: CPU work share | idle plan under busy state ms | busy plan under busy state ms | busy/idle-plan |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const m of models.filter((x) => x.set !== "large").slice(0, 8)) {
  for (const profileName of ["orin-nano", "agx-orin"]) {
    const base = loadProfile(profileName);
    const plan = (profile: DeviceProfile, state = syntheticState(0)) => {
      const problem = placementProblem(m.model, profile);
      const r = planPlacement(problem, { search: { seed: 1 }, refiner: (q) => sacRefine(q, { weights, state }) });
      return { problem, assign: r.outcome.assign };
    };
    const idle = plan(adjustProfile(base, syntheticState(0)).profile);
    const busyState = syntheticState(0.75);
    const busy = plan(adjustProfile(base, busyState).profile, busyState);
    const cpuShare = (p: PlacementProblem, a: Int32Array) => { let c = 0; let all = 0; for (const i of movableNodes(p)) { const d = p.sim.duration[p.cpu]![i]!; all += d; if (a[i] === p.cpu) c += d; } return all > 0 ? c / all : 0; };
    const idleUnderBusy = busy.problem.cost.latency(idle.assign).ms;
    const busyUnderBusy = busy.problem.cost.latency(busy.assign).ms;
    console.log(`| ${m.name} | ${profileName} | ${(cpuShare(idle.problem, idle.assign) * 100).toFixed(1)}% | ${(cpuShare(idle.problem, busy.assign) * 100).toFixed(1)}% | ${idleUnderBusy.toPrecision(4)} | ${busyUnderBusy.toPrecision(4)} | ${(busyUnderBusy / idleUnderBusy).toFixed(4)} |`);
  }
}
console.log(`\nload at the end: ${loadavg().map((x) => x.toFixed(1)).join(" ")}`);
