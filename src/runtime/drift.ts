// The runtime's drift check: per processor, the plan's predicted partition time against what the
// runtime measured, flagged when one is more than a set ratio times the other. A drifted processor
// is the trigger for a re-plan (src/optimize/replan.ts replanPackage, or `sparoa optimize
// --state live`); `sparoa run` and `sparoa bench` report it, and switching plans mid-run is left
// for later. Kept apart from the re-planner so the runtime's commands load without the optimizer.
import type { PackageManifest } from "../package/manifest.ts";

/** Ratio beyond which a processor's measured partition time counts as drifted (either way). */
export const DEFAULT_DRIFT_RATIO = 1.5;

export interface ProcessorDrift { processor: string; predictedMs: number; measuredMs: number; ratio: number; drifted: boolean }

/**
 * Per processor: the plan's predicted partition time (sum of its partitions' predictions) against
 * the measured one (sum of the same partitions' measured times; partitions without either are
 * left out); `drifted` when either is more than `maxRatio` times the other.
 */
export function partitionDrift(manifest: PackageManifest, measuredMs: ReadonlyMap<number, number>, maxRatio = DEFAULT_DRIFT_RATIO): ProcessorDrift[] {
  if (!(maxRatio > 1)) throw new Error(`drift ratio must be > 1 (got ${maxRatio})`);
  const byProcessor = new Map<string, { predictedMs: number; measuredMs: number }>();
  for (const p of manifest.partitions) {
    const measured = measuredMs.get(p.id);
    if (p.predictedMs === undefined || measured === undefined) continue;
    const d = byProcessor.get(p.processor) ?? { predictedMs: 0, measuredMs: 0 };
    d.predictedMs += p.predictedMs;
    d.measuredMs += measured;
    byProcessor.set(p.processor, d);
  }
  return [...byProcessor].map(([processor, d]) => {
    const ratio = d.predictedMs > 0 ? d.measuredMs / d.predictedMs : Infinity;
    return { processor, ...d, ratio, drifted: ratio > maxRatio || ratio < 1 / maxRatio };
  });
}

/** What `run` and `bench` print and put in --json under `drift`. */
export interface DriftReport {
  /** The profile the predictions are for (the package's plan). */
  profile: string;
  maxRatio: number;
  processors: ProcessorDrift[];
  /** True when any processor drifted. */
  drifted: boolean;
  /** Why there are no figures, when there are none. */
  note?: string;
}

export function driftReport(manifest: PackageManifest, measuredMs: ReadonlyMap<number, number> | undefined, maxRatio = DEFAULT_DRIFT_RATIO): DriftReport {
  const profile = manifest.plan.profile;
  if (!measuredMs) return { profile, maxRatio, processors: [], drifted: false, note: "this engine does not time partitions (--engine workers does)" };
  const processors = partitionDrift(manifest, measuredMs, maxRatio);
  const note = processors.length === 0 ? "the package's partitions carry no predicted times" : undefined;
  return { profile, maxRatio, processors, drifted: processors.some((d) => d.drifted), ...(note ? { note } : {}) };
}

/** One line per processor, for the text output. */
export function describeDrift(r: DriftReport): string[] {
  if (r.processors.length === 0) return [`drift: not checked: ${r.note}`];
  return r.processors.map((d) => {
    const verdict = d.drifted
      ? `drifted beyond ${r.maxRatio}x: the predictions for ${r.profile} do not hold on this machine, the trigger for a re-plan (replanPackage, or sparoa optimize --state live)`
      : `within ${r.maxRatio}x`;
    return `drift: ${d.processor} partitions measured ${d.measuredMs.toFixed(3)} ms vs predicted ${d.predictedMs.toFixed(3)} ms for ${r.profile} (${d.ratio.toFixed(2)}x), ${verdict}`;
  });
}
