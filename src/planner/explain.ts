// Why each node went where it went, as data (for --json and the report) and as one line.
import { Reason, QUADRANTS, type PlacementOutcome, type Quadrant } from "./place.ts";
import type { PlacementProblem } from "./problem.ts";
import { freeValues, thresholdSplit } from "./thresholds.ts";

export interface NodeExplanation {
  name: string;
  op: string;
  processor: string;
  sparsity: number;
  intensity: number;
  quadrant: Quadrant;
  /** Predicted ms on each processor (unfused). */
  timeMs: Record<string, number>;
  /** Ms its inputs take to arrive on its processor under the plan. */
  transferMs: number;
  pinned: string | null;
  reason: string;
}

const fmt = (x: number) => (x === 0 ? "0" : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 0.01 ? x.toPrecision(3) : x.toExponential(2));

export function explainPlacement(problem: PlacementProblem, outcome: PlacementOutcome): NodeExplanation[] {
  const { sim } = problem;
  const t = outcome.thresholds;
  // A threshold on the far side of every free node decides nothing: say so in every reason.
  const note = (split: "all" | "none" | null, word: string) => (split === "all" ? ` (every free node is ${word})` : split === "none" ? ` (no free node is ${word})` : "");
  const sparseNote = note(thresholdSplit(freeValues(problem, "sparsity"), t.sparsity), "sparse");
  const heavyNote = note(thresholdSplit(freeValues(problem, "intensity"), t.intensity), "heavy");
  return sim.nodes.map((node, i) => {
    const processor = sim.processors[outcome.assign[i]!]!;
    const timeMs: Record<string, number> = {};
    sim.processors.forEach((p, pi) => { timeMs[p] = sim.duration[pi]![i]!; });
    let transferMs = 0;
    for (const vi of sim.inputsOf[i]!) {
      const v = sim.values[vi]!;
      const src = v.producer < 0 ? sim.host : outcome.assign[v.producer]!;
      transferMs += sim.transfer(src, outcome.assign[i]!, v.bytes);
    }
    const s = problem.sparsity[i]!;
    const x = problem.intensity[i]!;
    const quadrant = QUADRANTS[outcome.quadrant[i]!]!;
    const cpu = sim.processors[problem.cpu]!;
    const gpu = problem.gpu >= 0 ? sim.processors[problem.gpu]! : "gpu";
    const unit = problem.intensityAxis === "flops" ? "FLOPs" : "FLOP/B";
    const sides = `sparsity ${fmt(s)} ${s >= t.sparsity ? ">=" : "<"} ${fmt(t.sparsity)}${sparseNote}, ${unit} ${fmt(x)} ${x >= t.intensity ? ">=" : "<"} ${fmt(t.intensity)}${heavyNote}`;
    let reason: string;
    switch (outcome.reason[i] as Reason) {
      case Reason.Pinned: reason = `pinned by --pin '${problem.pins[i]!.text}'`; break;
      case Reason.Shape: reason = "shape computation: stays on the CPU"; break;
      case Reason.Control: reason = "control flow (If/Loop/Scan): stays on the CPU"; break;
      case Reason.Constant: reason = `constant: recomputed where it is read, follows its first reader (${processor})`; break;
      case Reason.NoGpu: reason = `profile '${problem.profile.name}' has no GPU`; break;
      case Reason.Quadrant: reason = `${quadrant} (${sides}) -> ${quadrant === "dense-heavy" ? gpu : cpu}`; break;
      case Reason.Faster: reason = `${quadrant} (${sides}): mixed quadrant, latency model says ${processor} is faster (${fmt(timeMs[cpu]!)} ms cpu vs ${fmt(timeMs[gpu] ?? NaN)} ms gpu)`; break;
      case Reason.Refined: {
        const gain = outcome.moveGainMs?.[i];
        const figure = gain === undefined || Number.isNaN(gain) ? `one of ${outcome.movedNodes} nodes moved together` : `${gain <= 0 ? "-" : "+"}${fmt(Math.abs(gain))} ms (moving it back alone: ${gain <= 0 ? "+" : "-"}${fmt(Math.abs(gain))} ms)`;
        reason = `${quadrant} (${sides}), moved to ${processor} by ${outcome.refinedBy ?? "refinement"}: ${figure}`;
        break;
      }
      case Reason.Smoothed: reason = `${quadrant} (${sides}), moved to ${processor} by smoothing: saves ${fmt(outcome.smoothSaved[i]!)} ms of transfers for ${fmt(outcome.smoothCost[i]!)} ms more compute`; break;
    }
    const pin = problem.pins[i];
    return { name: node.name, op: node.opType, processor, sparsity: s, intensity: x, quadrant, timeMs, transferMs, pinned: pin ? pin.text : null, reason };
  });
}
