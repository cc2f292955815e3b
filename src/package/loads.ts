// Every package `optimize` writes loads in onnxruntime. Each partition model and the annotated
// model is opened once on the CPU provider (graph optimisations off: only onnxruntime's own
// checks run, the schema, type inference and kernel lookup) before the staged folder is renamed
// into place. The fuzz campaign found models that pass our verifier but that onnxruntime refuses
// (an attribute of the wrong type, an op type swapped for one with other inputs, opset 1 ops):
// the packages cut from them were refused too (22 of 413 written). When a partition is refused,
// the original model is tried: if onnxruntime refuses it as well the user is told that, naming
// the file; if it loads, the fault is ours and is reported as an internal error.
import { join } from "node:path";
import { SparoaError } from "../../ir/sparoa-error.ts";
import { openSession } from "../../ort/session.mjs";
import type { PackageManifest } from "./manifest.ts";

/** onnxruntime refuses the input model itself: nothing is written (exit code 2, like the verifier). */
export class OnnxruntimeRefusesModelError extends SparoaError {
  override name = "OnnxruntimeRefusesModelError";
  constructor(message: string) { super(message, { exitCode: 2 }); }
}

/** onnxruntime refuses a partition cut from a model it loads: a sparoa bug. */
export class PartitionRefusedError extends SparoaError {
  override name = "PartitionRefusedError";
  constructor(message: string) { super(message, { userFacing: false }); }
}

const VALIDATE = { executionProviders: ["cpu"], graphOptimizationLevel: "disabled", logSeverityLevel: 4 } as const;

/** Why onnxruntime will not load `file` (its first line), or undefined when it loads. */
async function refusal(file: string): Promise<string | undefined> {
  try {
    const session = await openSession(file, VALIDATE);
    await session.release();
    return undefined;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).split("\n")[0]!.replace(/^.*? failed:/, "").trim();
  }
}

/**
 * Throws unless every partition of the package staged in `dir` and its annotated model load in
 * onnxruntime; `original` is the user's model, tried when one does not.
 */
export async function assertPackageLoads(dir: string, manifest: PackageManifest, annotatedFile: string, original: string): Promise<void> {
  for (const file of [...manifest.partitions.map((p) => p.file), annotatedFile]) {
    const why = await refusal(join(dir, file));
    if (why === undefined) continue;
    const originalWhy = await refusal(original);
    if (originalWhy !== undefined) throw new OnnxruntimeRefusesModelError(`${original}: onnxruntime cannot load this model: ${originalWhy}`);
    throw new PartitionRefusedError(`internal error: onnxruntime refuses ${file} of the package, cut from a model it loads: ${why}`);
  }
}
