// Every command reads its model through here: a regular file only, recorded by the input guard
// (nothing the command writes may replace it or its external data), and verified before any
// pass runs, with the same message and exit code 2 everywhere. Spec problems (unknown ops,
// wrong attribute types, opset ranges...) are refused by commands that analyse or package
// the model and shown as warnings by those that only print or re-save it.
import type { Model } from "../../ir/model.ts";
import { loadModel } from "../../ir/onnx/file.ts";
import { specProblems } from "../../ir/spec.ts";
import { verifyModel } from "../../ir/verify.ts";
import { InvalidModelError } from "../../ir/onnx/tensor-data.ts";
import { NodeKey } from "../../ir/annotation-keys.ts";

/** Most generated calibration samples a command accepts (each is a full inference). */
export const MAX_SAMPLES = 10_000;

export type SpecPolicy = "refuse" | "warn";

/**
 * The spec rules again once shape inference has typed the intermediate values (Add(float, int64)
 * where the float comes from a node): a package onnxruntime would refuse is never written.
 */
export function refuseSpecProblems(path: string, model: Model): void {
  const problems = specProblems(model);
  // Main graph only: a branch that does not run for these inputs may well be inconsistent with them (Silero VAD's If).
  for (const node of model.graph.nodes) {
    const why = node.annotations.get(NodeKey.shapeError);
    if (why !== undefined) problems.push(`node '${node.name || "(unnamed)"}' (${node.opType}): inconsistent shapes: ${String(why)}`);
  }
  if (problems.length > 0) throw invalidModelError(path, problems);
}

/** The one message for an invalid model, shared by every command (exit code 2). */
export function invalidModelError(path: string, problems: readonly string[], hint = ""): InvalidModelError {
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problems${hint})` : "";
  return new InvalidModelError(`${path}: invalid model: ${problems[0]}${more}`);
}

/**
 * Loads `path`, refusing structurally invalid models (cycles, two producers of a value, reads
 * before definition) and, with `spec: "refuse"`, models the ONNX spec forbids. `deferStructural`:
 * the caller verifies later itself (inspect prints an invalid model before exiting 2).
 */
export function loadInputModel(path: string, options: { spec: SpecPolicy; verify?: boolean; deferStructural?: boolean; load?: (path: string) => Model } = { spec: "refuse" }): Model {
  const model = (options.load ?? loadModel)(path);
  if (options.verify === false) return model;
  if (!options.deferStructural) {
    const structural = verifyModel(model);
    if (structural.length > 0) throw invalidModelError(path, structural);
  }
  const spec = specProblems(model);
  if (spec.length > 0) {
    if (options.spec === "refuse") throw invalidModelError(path, spec);
    const more = spec.length > 1 ? ` (and ${spec.length - 1} more)` : "";
    process.stderr.write(`sparoa: warning: ${path}: not a valid ONNX model, onnxruntime will refuse it: ${spec[0]}${more}\n`);
  }
  return model;
}
