// --drift-ratio of `sparoa run` and `sparoa bench`: when a processor's measured partition times are
// more than this many times the plan's prediction (or less than its inverse), the output says the
// processor drifted (src/runtime/drift.ts).
import { DEFAULT_DRIFT_RATIO } from "../runtime/drift.ts";
import { Runtime } from "../runtime/runtime.ts";
import { CliError } from "./errors.ts";

export const DRIFT_RATIO_OPTION = {
  type: "number",
  default: DEFAULT_DRIFT_RATIO,
  describe: "report a processor as drifted when its measured partition times are more than this many times the plan's prediction, or less than 1/this (the trigger for a re-plan)",
} as const;

export function checkDriftRatio(ratio: number): void {
  if (!(ratio > 1) || !Number.isFinite(ratio)) throw new CliError(`--drift-ratio: must be a number > 1 (got ${ratio})`);
}

/** Per-partition measured times where the engine has them (the processor workers; one onnxruntime session has none). */
export function measuredPartitionTimes(runtime: object): Map<number, number> | undefined {
  return runtime instanceof Runtime ? runtime.partitionTimes() : undefined;
}
