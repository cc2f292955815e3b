// What optimize tells the user: the report JSON written beside the package (and printed by
// --json), the summary it always prints, and the per-node --explain table.
import { crossProcessorEdges } from "../../passes/describe-partitions.ts";
import type { NodeExplanation } from "../planner/explain.ts";
import type { StageReport } from "../planner/planner.ts";
import type { CheckResult } from "../package/check.ts";
import type { OptimizeOptions, OptimizeResult } from "./optimize.ts";
import type { ThresholdDecision } from "../predictor/choose.ts";

/** v2: a node's and a partition's processor is `processor` (v1: `device`), `summary.crossProcessorEdges` (v1: `crossDeviceEdges`). */
export const REPORT_SCHEMA = "sparoa.optimize-report.v2";

/** Said on every run: nothing here ran on a GPU. */
export function hardwareNote(profile: string): string {
  return `no GPU was used: latencies are predictions for the '${profile}' profile; --check runs every partition, GPU ones included, on this machine's CPU with onnxruntime`;
}

export interface OptimizeReport {
  schema: typeof REPORT_SCHEMA;
  model: string;
  device: { profile: string; description: string };
  note: string;
  inputShapes: Record<string, (number | string | null)[] | null>;
  thresholds: {
    sparsity: number; intensity: number; source: "given" | "grid search" | "predictor"; evaluated?: number; distinctPlans?: number;
    /** With source "predictor": the predictor file and kind, the predicted quantiles, its time and any features outside its training range. */
    predictor?: ThresholdDecision["predictor"];
    /** With --compare-thresholds: the grid search's thresholds and plan cost beside the predicted ones. */
    comparison?: ThresholdDecision["comparison"];
    /** What the intensity threshold compares: FLOPs per node or FLOP per byte. */
    axis: string;
    /** A threshold that leaves every free node on one side: "all" sparse/heavy, "none", or null when it splits them. */
    everyFreeNode: { sparsity: "all" | "none" | null; intensity: "all" | "none" | null };
  };
  /** thresholds -> quadrant placement -> refinement -> final: which stage produced the plan and what each gained. */
  planner: {
    finalStage: string;
    stages: StageReport[];
    /** Nodes the final plan has on another processor than the threshold placement. */
    movedNodes: number;
    /** The best baseline under the same cost, and the final plan's speedup over it (>= 1). */
    bestBaseline: { name: string; ms: number; speedup: number } | null;
  };
  predicted: {
    /** The plan cost: for a split plan, its partitions as the runtime runs them (src/sim/partition-schedule.ts). */
    planMs: number;
    /** Its parts: planMs = simulatedMs + partitionCallsMs + cutsMs + contentionMs. */
    simulatedMs: number;
    /** One run call (profile partitionCallUs, default runOverheadUs) per partition after the first. */
    partitionCallsMs: number;
    /** What the cut costs (layout reorders, hand-offs) add, where the profile measures them. */
    cutsMs: number;
    /** Slowdown of processors sharing cores or bandwidth while busy at once, where the profile measures it. */
    contentionMs: number;
    baselinesMs: Record<string, number>;
    speedup: Record<string, number>;
    crossings: number;
    bytesMoved: number;
    energyMj: number;
    busyMs: Record<string, number>;
  };
  summary: {
    nodes: Record<string, number>;
    partitions: Record<string, number>;
    crossProcessorEdges: number;
    quadrants: Record<string, number>;
    pinned: number;
    smoothingMoves: number;
  };
  partitions: { id: number; processor: string; nodes: number; inputs: number; outputs: number; predictedMs?: number; file: string }[];
  /** onnxruntime's own layer assignment for model.annotated.onnx (as in the manifest). */
  layerAssignment: { key: string; settings: string } | null;
  check: (Omit<CheckResult, "outputs"> & { outputs: CheckResult["outputs"]; rtol: number; atol: number; optimization: string }) | null;
  warnings: string[];
  timingsMs: Record<string, number>;
  nodes: NodeExplanation[];
}

const round = (x: number, digits = 6) => Number(x.toPrecision(digits));

export function reportJson(options: OptimizeOptions, r: OptimizeResult): OptimizeReport {
  const profile = r.placement.problem.profile;
  const count = (xs: readonly string[]) => xs.reduce<Record<string, number>>((acc, x) => { acc[x] = (acc[x] ?? 0) + 1; return acc; }, {});
  const searched = r.placement.search;
  const best = Object.entries(r.baselines).reduce<[string, number] | undefined>((a, b) => (!a || b[1] < a[1] ? b : a), undefined);
  return {
    schema: REPORT_SCHEMA,
    model: options.model,
    device: { profile: profile.name, description: profile.description },
    note: hardwareNote(profile.name),
    inputShapes: r.package.manifest.plan.inputShapes ?? {},
    thresholds: {
      sparsity: r.placement.thresholds.sparsity, intensity: r.placement.thresholds.intensity,
      source: r.placement.thresholdDecision?.source ?? (searched ? "grid search" : "given"),
      ...(r.placement.thresholdDecision?.predictor ? { predictor: r.placement.thresholdDecision.predictor } : {}),
      ...(r.placement.thresholdDecision?.comparison ? { comparison: r.placement.thresholdDecision.comparison } : {}),
      ...(searched ? { evaluated: searched.evaluated, distinctPlans: searched.distinctPlans } : {}),
      axis: r.placement.problem.intensityAxis,
      everyFreeNode: r.placement.split,
    },
    planner: {
      finalStage: r.placement.finalStage,
      stages: r.placement.stages.map((st) => ({ ...st, ms: round(st.ms), gainMs: round(st.gainMs) })),
      movedNodes: r.placement.outcome.movedNodes ?? 0,
      bestBaseline: best ? { name: best[0], ms: round(best[1]), speedup: round(best[1] / r.planMs, 4) } : null,
    },
    predicted: {
      planMs: round(r.planMs),
      simulatedMs: round(r.planLatency.simulatedMs),
      partitionCallsMs: round(r.planLatency.callsMs),
      cutsMs: round(r.planLatency.cutsMs),
      contentionMs: round(r.planLatency.contentionMs),
      baselinesMs: Object.fromEntries(Object.entries(r.baselines).map(([k, b]) => [k, round(b)])),
      speedup: Object.fromEntries(Object.entries(r.baselines).map(([k, b]) => [k, round(b / r.planMs, 4)])),
      crossings: r.plan.crossings,
      bytesMoved: r.plan.bytesMoved,
      energyMj: round(r.plan.energyMj),
      busyMs: Object.fromEntries(Object.entries(r.plan.processors).map(([k, p]) => [k, round(p.busyMs)])),
    },
    summary: {
      nodes: count(r.placement.explanations.map((e) => e.processor)),
      partitions: count(r.partitioning.partitions.map((p) => p.processor)),
      crossProcessorEdges: crossProcessorEdges(r.partitioning),
      quadrants: count(r.placement.explanations.map((e) => e.quadrant)),
      pinned: r.placement.explanations.filter((e) => e.pinned).length,
      smoothingMoves: r.placement.thresholdPlan.moves,
    },
    partitions: r.package.manifest.partitions.map((p) => ({
      id: p.id, processor: p.processor, nodes: p.nodes, inputs: p.inputs.length, outputs: p.outputs.length, file: p.file,
      ...(p.predictedMs !== undefined ? { predictedMs: p.predictedMs } : {}),
    })),
    layerAssignment: r.package.manifest.layerAssignment ?? null,
    check: r.check && options.check ? { ...r.check, rtol: options.check.rtol, atol: options.check.atol, optimization: options.check.optimization } : null,
    warnings: r.warnings,
    timingsMs: Object.fromEntries(Object.entries(r.timings).map(([k, v]) => [k, round(v, 4)])),
    nodes: r.placement.explanations,
  };
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toPrecision(3));

export function formatSummary(report: OptimizeReport, out: string): string {
  const p = report.predicted;
  const s = report.summary;
  const t = report.thresholds;
  const by = (rec: Record<string, number>) => Object.entries(rec).map(([k, v]) => `${v} ${k}`).join(", ");
  const lines = [
    `sparoa optimize ${report.model} for ${report.device.profile} (${report.device.description})`,
    `  note: ${report.note}`,
    `  thresholds: ${thresholdText(t)} (${t.source}${t.evaluated ? `: ${t.evaluated} pairs, ${t.distinctPlans} distinct plans simulated` : ""}${t.predictor ? `: ${t.predictor.kind}, quantiles ${t.predictor.quantiles.sparsity.toFixed(2)}, ${t.predictor.quantiles.intensity.toFixed(2)} of the free nodes${t.predictor.checked > 1 ? ` (cheapest of ${t.predictor.checked} bins, the predicted one and the portfolio: ${t.predictor.simulated} distinct plans simulated)` : ""}, ${t.predictor.ms.toFixed(1)} ms` : ""})`,
    ...(t.comparison ? [`  grid search beside it: ${t.comparison.grid.sparsity.toPrecision(3)}, ${t.comparison.grid.intensity.toPrecision(3)} in ${t.comparison.grid.searchMs.toFixed(0)} ms; threshold plan ${ms(t.comparison.predicted.ms)} ms predicted vs ${ms(t.comparison.grid.ms)} ms grid (regret ${t.comparison.regret.toFixed(3)})${t.comparison.refinedRegret !== undefined ? `, refined ${ms(t.comparison.predicted.refinedMs!)} vs ${ms(t.comparison.grid.refinedMs!)} ms (regret ${t.comparison.refinedRegret.toFixed(3)})` : ""}`] : []),
    `  plan: ${stagesText(report)}`,
    `  nodes: ${by(s.nodes)}; quadrants: ${by(s.quadrants)}${s.pinned ? `; ${s.pinned} pinned` : ""}; smoothing moved ${s.smoothingMoves}, refinement moved ${report.planner.movedNodes}`,
    `  partitions: ${Object.values(s.partitions).reduce((a, b) => a + b, 0)} (${by(s.partitions)}), ${s.crossProcessorEdges} cross-processor edge${s.crossProcessorEdges === 1 ? "" : "s"}, ${(p.bytesMoved / 1e6).toFixed(2)} MB moved per inference`,
    `  predicted latency: ${ms(p.planMs)} ms (simulated ${ms(p.simulatedMs)} ms + ${ms(p.partitionCallsMs)} ms for the calls between partitions${p.cutsMs > 0 ? ` + ${ms(p.cutsMs)} ms at the cuts` : ""}${p.contentionMs > 0 ? ` + ${ms(p.contentionMs)} ms contention` : ""}); ${Object.entries(p.baselinesMs).map(([k, v]) => `${k} ${ms(v)} ms (${planVersus(p.speedup[k]!)})`).join(", ")}`,
  ];
  if (report.check) {
    const c = report.check;
    const worst = c.outputs.reduce((a, o) => ({ abs: Math.max(a.abs, o.maxAbs), rel: Math.max(a.rel, o.maxRel) }), { abs: 0, rel: 0 });
    lines.push(`  check: ${c.ok ? "passed" : "FAILED"}: ${c.outputs.length} output comparisons (package and annotated model vs original, onnxruntime CPU, optimisations ${c.optimization}), max abs ${worst.abs.toExponential(2)}, max rel ${worst.rel.toExponential(2)} (rtol ${c.rtol}, atol ${c.atol})`);
  }
  lines.push(`  wrote ${out}/: manifest.json, ${report.partitions.length} partition models, model.annotated.onnx, report.json`);
  for (const w of report.warnings) lines.push(`  warning: ${w}`);
  return lines.join("\n") + "\n";
}

function thresholdText(t: OptimizeReport["thresholds"]): string {
  const unit = t.axis === "flops" ? "FLOPs" : "FLOP/byte";
  const side = (what: string, word: string, value: number, unitText: string, split: "all" | "none" | null) =>
    `${word} when ${what} >= ${value.toPrecision(3)}${unitText}${split === "all" ? ` (every free node is ${word})` : split === "none" ? ` (no free node is ${word})` : ""}`;
  return `${side("sparsity", "sparse", t.sparsity, "", t.everyFreeNode.sparsity)}, ${side(t.axis === "flops" ? "FLOPs" : "intensity", "heavy", t.intensity, t.axis === "flops" ? "" : ` ${unit}`, t.everyFreeNode.intensity)}`;
}

function stagesText(report: OptimizeReport): string {
  const p = report.planner;
  const parts = p.stages.map((st) => st.stage === "thresholds" ? `thresholds ${ms(st.ms)} ms`
    : `${st.stage}${st.from ? ` from ${st.from}` : ""} ${ms(st.ms)} ms (${Math.abs(st.gainMs) < 1e-9 ? "no gain" : `${st.gainMs > 0 ? "-" : "+"}${ms(Math.abs(st.gainMs))} ms`}, ${st.evaluations} simulations${st.exact ? ", optimal by branch and bound" : st.budgetHit ? ", budget spent" : ""})`);
  const best = p.bestBaseline ? `; best baseline ${p.bestBaseline.name} ${ms(p.bestBaseline.ms)} ms (${p.bestBaseline.speedup.toFixed(3)}x)` : "";
  return `${parts.join(" -> ")}; final plan from ${p.finalStage}${best}`;
}

/** One block per node: where, and why. */
export function formatExplain(report: OptimizeReport): string {
  const lines: string[] = [];
  for (const e of report.nodes) {
    const times = Object.entries(e.timeMs).map(([k, v]) => `${k} ${ms(v)} ms`).join(", ");
    lines.push(`${e.name || "(unnamed)"} [${e.op}] -> ${e.processor}${e.pinned ? " (pinned)" : ""}`);
    lines.push(`    sparsity ${e.sparsity.toFixed(3)}, ${report.thresholds.axis === "flops" ? `${e.intensity.toPrecision(3)} FLOPs` : `intensity ${e.intensity.toPrecision(3)} FLOP/B`}, ${e.quadrant}; predicted ${times}; transfers in ${ms(e.transferMs)} ms`);
    lines.push(`    why: ${e.reason}`);
  }
  return lines.join("\n") + "\n";
}

/** "the plan is 3.72x faster" / "the plan is 1.50x slower": the ratio always read from the plan's side. */
export function planVersus(speedup: number): string {
  if (!Number.isFinite(speedup) || speedup <= 0) return "no comparison";
  if (Math.abs(speedup - 1) < 0.005) return "the plan is as fast";
  return speedup > 1 ? `the plan is ${speedup.toFixed(2)}x faster` : `the plan is ${(1 / speedup).toFixed(2)}x slower`;
}
