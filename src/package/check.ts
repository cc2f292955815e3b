// `optimize --check`: runs the original model and the written package (its partitions one
// after another, in manifest order, each fed from the tensors earlier ones produced) with
// onnxruntime on this machine's CPU, plus the annotated whole model, and compares every model
// output. Plain sequential in-process execution (ort/sequential.ts): this checks the cut, not the runtime.
import type * as ort from "onnxruntime-node";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Tensor } from "../../ir/tensor.ts";
import { feedsFor, runInSequence } from "../../ort/sequential.ts";
import { openSession } from "../../ort/session.mjs";
import { compareTensors, fromOrtTensor, toOrtTensor } from "../../ort/tensor-bridge.ts";
import type { PackageManifest } from "./manifest.ts";

export interface CheckOptions {
  rtol: number;
  atol: number;
  /** onnxruntime graph optimisations in every session; "disabled" makes the outputs bit-identical. */
  optimization: "disabled" | "all";
}

export interface OutputCheck {
  name: string;
  /** Which run was compared with the original: the package or the annotated model. */
  against: "package" | "annotated";
  ok: boolean;
  maxAbs: number;
  maxRel: number;
  reason?: string;
}

export interface CheckResult {
  ok: boolean;
  outputs: OutputCheck[];
  /** Milliseconds each run took, for the report (CPU only, one run each). */
  ms: { original: number; package: number; annotated: number };
}

/** `onProgress(done, total)` after each of the original, the annotated model and every partition. */
export async function checkPackage(originalModel: string, packageDir: string, inputs: ReadonlyMap<string, Tensor>, options: CheckOptions,
  onProgress: (done: number, total: number) => void = () => {}): Promise<CheckResult> {
  const manifest = JSON.parse(readFileSync(join(packageDir, "manifest.json"), "utf8")) as PackageManifest;
  const sessionOptions: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, graphOptimizationLevel: options.optimization, executionProviders: ["cpu"] };
  const feeds = new Map<string, ort.Tensor>();
  for (const [name, t] of inputs) feeds.set(name, toOrtTensor(t));

  const runWhole = async (file: string) => {
    const s = await openSession(file, sessionOptions);
    try {
      const start = performance.now();
      const result = await s.run(feedsFor(feeds, s.inputNames, file));
      return { result, ms: performance.now() - start };
    } finally {
      await s.release();
    }
  };
  const total = manifest.partitions.length + 2;
  const original = await runWhole(originalModel);
  onProgress(1, total);
  const annotated = manifest.annotatedModel ? await runWhole(join(packageDir, manifest.annotatedModel)) : undefined;
  onProgress(2, total);

  const parts = manifest.partitions.map((part) => ({
    label: `partition ${part.id}`, inputs: part.inputs, outputs: part.outputs,
    session: () => openSession(join(packageDir, part.file), sessionOptions),
  }));
  const run = await runInSequence(parts, feeds, (i) => onProgress(3 + manifest.partitions[i]!.id, total));
  const env = run.values;
  const packageMs = run.ms.reduce((a, b) => a + b, 0);

  const outputs: OutputCheck[] = [];
  for (const spec of manifest.source.outputs) {
    const expected = fromOrtTensor(spec.name, original.result[spec.name]!);
    const runs: [OutputCheck["against"], ort.Tensor | undefined][] = [["package", env.get(spec.name)]];
    if (annotated) runs.push(["annotated", annotated.result[spec.name]]);
    for (const [against, got] of runs) {
      if (!got) { outputs.push({ name: spec.name, against, ok: false, maxAbs: Infinity, maxRel: Infinity, reason: "not produced" }); continue; }
      const c = compareTensors(fromOrtTensor(spec.name, got), expected, options.rtol, options.atol);
      outputs.push({ name: spec.name, against, ok: c.ok, maxAbs: c.maxAbs, maxRel: c.maxRel, ...(c.reason ? { reason: c.reason } : c.first ? { reason: `first mismatch at element ${c.first.index}: ${c.first.actual} vs ${c.first.expected}` } : {}) });
    }
  }
  return { ok: outputs.every((o) => o.ok), outputs, ms: { original: original.ms, package: packageMs, annotated: annotated?.ms ?? 0 } };
}
