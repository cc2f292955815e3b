// The placement pass: puts every main-graph node on a processor of a device profile by
// SparOA's quadrant rule and transfer-aware smoothing (passes/placement/place.ts), with the
// thresholds given or chosen by grid search over simulated plans (src/predictor/grid-search.ts).
// Writes NodeKey.device, quadrant, time_cpu_ms, time_gpu_ms, pinned, transfer_ms and
// placement_reason; the full result (problem, plan, explanations) is kept for the caller.
//
// Options: profile=orin-nano (name or path), sparsity=S, intensity=I (absent: searched),
// pin=PIN (several separated by newlines, or by ';' when there is no newline), smoothing=false.
import type { Model } from "../ir/model.ts";
import { loadProfile } from "../src/devices/profile.ts";
import { chooseThresholds, type ThresholdChoice } from "../src/predictor/grid-search.ts";
import { NodeKey } from "./annotations.ts";
import { explainPlacement, type NodeExplanation } from "./placement/explain.ts";
import { parsePin } from "./placement/pins.ts";
import { place, type PlacementOutcome, type Thresholds } from "./placement/place.ts";
import { placementProblem, type PlacementProblem } from "./placement/problem.ts";
import type { Pass, PassContext, PassOptions, PassResult } from "./pass.ts";
import { registerPass } from "./registry.ts";

export interface PlacementResult {
  problem: PlacementProblem;
  outcome: PlacementOutcome;
  thresholds: Thresholds;
  /** Present when the thresholds were searched rather than given. */
  search?: Omit<ThresholdChoice, "outcome">;
  explanations: NodeExplanation[];
}

const results = new WeakMap<Model, PlacementResult>();

/** The last placement run on `model` (for the optimize command's report). */
export function placementResult(model: Model): PlacementResult | undefined {
  return results.get(model);
}

const KNOWN = new Set(["profile", "sparsity", "intensity", "pin", "smoothing"]);

function numberOption(options: PassOptions, key: string): number | undefined {
  const text = options[key];
  if (text === undefined || text === "") return undefined;
  const x = Number(text);
  if (!Number.isFinite(x) || x < 0) throw new Error(`placement option ${key}=${text}: expected a number >= 0`);
  return x;
}

export function placementPass(options: PassOptions = {}): Pass {
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) throw new Error(`placement has no option '${key}' (options: ${[...KNOWN].join(", ")})`);
  const sparsity = numberOption(options, "sparsity");
  const intensity = numberOption(options, "intensity");
  const pinText = options["pin"] ?? "";
  const pinTexts = pinText.split(pinText.includes("\n") ? "\n" : ";").map((s) => s.trim()).filter((s) => s !== "");
  const smoothing = options["smoothing"] !== "false";
  return {
    name: "placement",
    description: "place nodes on CPU/GPU by SparOA's sparsity/intensity quadrants and transfer-aware smoothing (profile=, sparsity=, intensity=, pin=)",
    requires: ["cost", "weight-sparsity"],
    preserves: "all",
    run(model: Model, ctx: PassContext): PassResult {
      const profile = loadProfile(options["profile"] ?? "orin-nano");
      const pins = pinTexts.map((t) => parsePin(t, Object.keys(profile.processors)));
      const problem = placementProblem(model, profile, pins);
      let search: ThresholdChoice | undefined;
      let outcome: PlacementOutcome;
      if (sparsity !== undefined && intensity !== undefined) outcome = place(problem, { sparsity, intensity }, smoothing);
      else {
        search = chooseThresholds(problem, { sparsity, intensity });
        outcome = smoothing ? search.outcome : place(problem, search, false);
      }
      const explanations = explainPlacement(problem, outcome);
      const cpu = problem.sim.processors[problem.cpu]!;
      const gpu = problem.gpu >= 0 ? problem.sim.processors[problem.gpu]! : undefined;
      const counts: Record<string, number> = {};
      problem.sim.nodes.forEach((node, i) => {
        ctx.at(node);
        const e = explanations[i]!;
        const a = node.annotations;
        a.set(NodeKey.device, e.device);
        a.set(NodeKey.quadrant, e.quadrant);
        a.set(NodeKey.timeCpuMs, e.timeMs[cpu]!);
        if (gpu) a.set(NodeKey.timeGpuMs, e.timeMs[gpu]!);
        a.set(NodeKey.transferMs, e.transferMs);
        a.set(NodeKey.placementReason, e.reason);
        if (e.pinned) a.set(NodeKey.pinned, e.device); else a.delete(NodeKey.pinned);
        counts[`nodes-${e.device}`] = (counts[`nodes-${e.device}`] ?? 0) + 1;
      });
      ctx.currentNode = null;
      const { outcome: _chosen, ...searchSummary } = search ?? { outcome: undefined };
      results.set(model, { problem, outcome, thresholds: outcome.thresholds, search: search ? searchSummary as Omit<ThresholdChoice, "outcome"> : undefined, explanations });
      return { changed: true, statistics: { ...counts, "smoothing-moves": outcome.moves, ...(search ? { "thresholds-evaluated": search.evaluated } : {}) } };
    },
  };
}

registerPass(placementPass);
