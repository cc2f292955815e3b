// Simulator speed for search: evaluations per second of one plan of two generated transformers
// (bench/support/models.ts vitLike, 12 blocks x 12 heads, ~1,490 placeable of ~3,000 nodes, and
// the model zoo's vit-large preset) and a MobileNet-like CNN, under a device profile, with these
// evaluators on the same plans in the same run:
//   before      evaluate(sim, assign) from src/sim/simulator.ts (builds the full SimResult)
//   full        PlanEvaluator.makespanMs(assign): the typed list scheduler on the timed graph
//   move        PlanEvaluator.moveCost(node, proc): one placeable node flipped to another
//               processor, from a recorded baseline (what local search and the RL scheduler run)
//   commit      PlanEvaluator.move + currentMakespanMs: a move made, its schedule recorded
//   plan move   PlanCost.incremental().moveCost: the move's makespan plus the call charge for its
//               partitions (src/planner/plan-cost.ts; the segment count replayed incrementally), which
//               is what the refinement's single-node moves cost
// Starting plans: HEFT's, and a random placement (seeded). Each figure is the median of several
// timed runs; rates are given per wall-clock second and per CPU second of this process (the CPU
// figure is what the machine's load does not divide; the move columns also give CPU microseconds
// per move). Every measured evaluator's answers are first checked against evaluate() (plan moves:
// against PlanCost.searchCost) on the plans it is timed on.
//   node --import tsx bench/sim-speed.ts [--device orin-nano] [--runs 5] [--seconds 1] [--json]
import { loadavg, cpus } from "node:os";
import { parseArgs } from "node:util";
import type { Model } from "../ir/index.ts";
import { seededRandom } from "../ir/random.ts";
import { registerBuiltinPasses } from "../passes/builtin-passes.ts";
import { PassManager } from "../passes/manager.ts";
import { instantiate, parsePipeline } from "../passes/pipeline.ts";
import { heftAssignment } from "../src/planner/baselines/heft.ts";
import { loadProfile } from "../src/devices/profile.ts";
import { PlanCost } from "../src/planner/plan-cost.ts";
import { PlanEvaluator } from "../src/sim/fast-eval.ts";
import { compileSim, type SimGraph } from "../src/sim/sim-graph.ts";
import { evaluate } from "../src/sim/simulator.ts";
import { median } from "../src/runtime/stats.ts";
import { ZOO_PRESETS, generateZooModel } from "../src/zoo/index.ts";
import { mobileNetLike, vitLike } from "./support/models.ts";

registerBuiltinPasses();

const { values: args } = parseArgs({ options: {
  device: { type: "string", default: "orin-nano" },
  runs: { type: "string", default: "5" },
  seconds: { type: "string", default: "1" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} });
if (args.help) {
  console.log("usage: node --import tsx bench/sim-speed.ts [--device orin-nano] [--runs 5] [--seconds 1] [--json]");
  process.exit(0);
}
const runs = Number(args.runs);
const seconds = Number(args.seconds);
const profile = loadProfile(args.device!);
const log = (s: string) => { if (!args.json) console.log(s); else process.stderr.write(`${s}\n`); };

interface Rate { wallPerS: number; cpuPerS: number }

/** Median rates of `op` over `runs` timed runs of about `seconds` each (batches of `batch` calls). */
function rate(op: () => void, batch: number, seconds: number): Rate {
  op(); // warm up the JIT
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let calls = 0;
    do { for (let i = 0; i < batch; i++) op(); calls += batch; } while (performance.now() - t0 < seconds * 1000);
    const dc = process.cpuUsage(c0);
    wall.push(calls / ((performance.now() - t0) / 1000));
    cpu.push(calls / ((dc.user + dc.system) / 1e6));
  }
  return { wallPerS: median(wall), cpuPerS: median(cpu) };
}

async function annotated(model: Model): Promise<Model> {
  await new PassManager(instantiate(parsePipeline("shape-inference,cost,weight-sparsity"))).run(model);
  return model;
}

interface Row { model: string; nodes: number; placeable: number; timed: number; start: string; planMs: number; before: Rate; full: Rate; move: Rate; planMove: Rate; commit: Rate; rejoined: number; roundsPerMove: number; baselineRounds: number }

function measure(label: string, sim: SimGraph): Row[] {
  const placeable = sim.nodes.map((_, i) => i).filter((i) => !sim.hostOnly[i]);
  const rand = seededRandom(11);
  const starts: [string, Int32Array][] = [
    ["heft", heftAssignment(sim)],
    ["random", Int32Array.from(sim.nodes, (_, i) => (sim.hostOnly[i] ? sim.host : rand() < 0.5 ? 0 : 1))],
  ];
  const rows: Row[] = [];
  for (const [start, assign] of starts) {
    const ev = new PlanEvaluator(sim);
    const P = sim.processors.length;
    const flip = (i: number) => (assign[i]! + 1 + Math.floor(rand() * (P - 1))) % P;
    // Correctness on the plans measured: the full evaluation and 20 moves against evaluate().
    const planMs = evaluate(sim, assign).makespanMs;
    if (ev.makespanMs(assign) !== planMs) throw new Error(`${label}/${start}: makespanMs differs from evaluate()`);
    ev.setAssignment(assign);
    for (let j = 0; j < 20; j++) {
      const i = placeable[Math.floor(rand() * placeable.length)]!;
      const p = flip(i);
      const moved = assign.slice();
      moved[i] = p;
      if (ev.moveCost(i, p) !== evaluate(sim, moved).makespanMs) throw new Error(`${label}/${start}: moveCost(${i}, ${p}) differs from evaluate()`);
    }
    log(`  ${label} from ${start}: plan ${planMs.toFixed(3)} ms; measuring...`);
    const before = rate(() => evaluate(sim, assign), 1, seconds);
    const full = rate(() => ev.makespanMs(assign), 5, seconds);
    ev.setAssignment(assign);
    ev.currentMakespanMs();
    const s0 = { ...ev.stats };
    const move = rate(() => { const i = placeable[Math.floor(rand() * placeable.length)]!; ev.moveCost(i, flip(i)); }, 50, seconds);
    const trials = ev.stats.trials - s0.trials;
    const rejoined = (ev.stats.converged - s0.converged) / trials;
    const roundsPerMove = (ev.stats.trialRounds - s0.trialRounds) / trials;
    const baselineRounds = ev.stats.baselineRounds;
    // A committed move: flip a node and record the new schedule, then flip it back (plan unchanged).
    const commit = rate(() => {
      const i = placeable[Math.floor(rand() * placeable.length)]!;
      const was = ev.assignment()[i]!;
      ev.move(i, flip(i)); ev.currentMakespanMs();
      ev.move(i, was); ev.currentMakespanMs();
    }, 1, seconds);
    commit.wallPerS *= 2;
    commit.cpuPerS *= 2;
    // Plan-cost moves (simulation + partition calls), checked against the full plan cost first.
    const cost = new PlanCost(sim);
    const reference = new PlanCost(sim);
    const inc = cost.incremental()!;
    const plan = assign.slice();
    inc.sync(plan);
    const planMoveCost = (check: boolean) => {
      const i = placeable[Math.floor(rand() * placeable.length)]!;
      const was = plan[i]!;
      plan[i] = flip(i);
      const c = inc.moveCost(plan, i);
      if (check && c !== reference.searchCost(plan)) throw new Error(`${label}/${start}: plan-cost move of node ${i} differs from searchCost`);
      plan[i] = was;
    };
    for (let j = 0; j < 20; j++) planMoveCost(true);
    const planMove = rate(() => planMoveCost(false), 50, seconds);
    rows.push({ model: label, nodes: sim.nodes.length, placeable: placeable.length, timed: ev.graph.m, start, planMs, before, full, move, planMove, commit, rejoined, roundsPerMove, baselineRounds });
  }
  return rows;
}

const load0 = loadavg();
const date = new Date().toISOString();
log(`sim-speed: ${date}, device profile ${profile.name}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), load ${load0.map((x) => x.toFixed(1)).join(" ")}`);
const models: [string, () => Model][] = [
  ["vit-like 12x12", () => vitLike({ depth: 12 })],
  ["zoo vit-large", () => generateZooModel(ZOO_PRESETS["vit-large"](1))],
  ["mobilenet-like", () => mobileNetLike(0.5, 128)],
];
const rows: Row[] = [];
for (const [label, make] of models) {
  const model = await annotated(make());
  rows.push(...measure(label, compileSim(model, profile)));
}
const load1 = loadavg();
if (args.json) {
  console.log(JSON.stringify({ date, device: profile.name, cpus: cpus().length, load: { start: load0, end: load1 }, runs, seconds, rows }, null, 2));
} else {
  const f = (r: Rate) => `${Math.round(r.wallPerS).toLocaleString("en")} / ${Math.round(r.cpuPerS).toLocaleString("en")}`;
  const us = (r: Rate) => `${f(r)} (${(1e6 / r.cpuPerS).toFixed(1)} us)`;
  console.log(`\n| model | nodes (placeable, timed) | start plan | plan ms | before: evaluate() | full: makespanMs | move: moveCost (CPU us/move) | plan move: + partition calls (CPU us/move) | commit: move | move vs before (CPU) | moves rejoining | rounds per move (of baseline) |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (const r of rows) {
    console.log(`| ${r.model} | ${r.nodes} (${r.placeable}, ${r.timed}) | ${r.start} | ${r.planMs.toFixed(3)} | ${f(r.before)} | ${f(r.full)} | ${us(r.move)} | ${us(r.planMove)} | ${f(r.commit)} | ${(r.move.cpuPerS / r.before.cpuPerS).toFixed(0)}x | ${(100 * r.rejoined).toFixed(1)}% | ${r.roundsPerMove.toFixed(0)} (${r.baselineRounds}) |`);
  }
  console.log(`\nrates: evaluations per wall-clock second / per CPU second of this process; medians of ${runs} runs of ~${seconds} s. Load ${load0.map((x) => x.toFixed(1)).join(" ")} at start, ${load1.map((x) => x.toFixed(1)).join(" ")} at end.`);
}
