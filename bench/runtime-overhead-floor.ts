// The floor under bench/runtime-overhead.ts: the same 4 partitions of full ResNet-50 run as 4
// plain onnxruntime sessions one after another on one thread, no sparoa runtime at all, against
// the whole model, same intra-op threads. onnxruntime-node gives every session its own thread
// pool (no global pool in the binding), so this is what any multi-session executor starts from.
//   node --import tsx bench/runtime-overhead-floor.ts [threads=2] [narrow|even]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { loadModel } from "../ir/index.ts";
import { materialize } from "./support/materialize.ts";
import { lightModels } from "../test/support/corpus.ts";
import { narrowCuts, slices, writeHandPackage } from "../test/support/hand-package.ts";
import { median } from "../src/runtime/stats.ts";

const threads = Number(process.argv[2] ?? 2);
const cut = process.argv[3] ?? "narrow";
const light = lightModels().find((p) => p.endsWith("light_resnet50.onnx"));
if (!light) throw new Error("needs ../shared/onnx-backend-tests/light/light_resnet50.onnx");
const model = materialize(light);
const dir = mkdtempSync(join(tmpdir(), "sparoa-floor-"));
try {
  const graph = loadModel(model).graph;
  const manifest = await writeHandPackage(model, dir, cut === "even" ? slices(graph.nodes.length, 4) : narrowCuts(graph, 4));
  const options = (spin: string): ort.InferenceSession.SessionOptions => ({
    intraOpNumThreads: threads, interOpNumThreads: 1, logSeverityLevel: 3, extra: { session: { intra_op: { allow_spinning: spin } } },
  });
  const whole = await ort.InferenceSession.create(model, options("1"));
  const input = whole.inputNames[0]!;
  const x = new ort.Tensor("float32", Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i)), [1, 3, 224, 224]);
  const timeIt = async (f: () => Promise<unknown>) => {
    const t: number[] = [];
    for (let i = 0; i < 15; i++) { const t0 = performance.now(); await f(); t.push(performance.now() - t0); }
    return median(t);
  };
  console.log(`full ResNet-50 in ${manifest.partitions.length} partitions (${cut} cuts), ${threads} intra-op thread(s); medians of 5 interleaved rounds x 15 runs`);
  for (const spin of ["0", "1"]) {
    const parts = await Promise.all(manifest.partitions.map(async (p) => ({ p, s: await ort.InferenceSession.create(join(dir, p.file), options(spin)) })));
    const runParts = async () => {
      const values: Record<string, ort.Tensor> = { [input]: x };
      for (const { p, s } of parts) Object.assign(values, await s.run(Object.fromEntries(p.inputs.map((n) => [n, values[n]!]))));
    };
    for (let i = 0; i < 3; i++) { await runParts(); await whole.run({ [input]: x }); }
    const ratios: number[] = [];
    for (let r = 0; r < 5; r++) ratios.push((await timeIt(runParts)) / (await timeIt(() => whole.run({ [input]: x }))));
    console.log(`  partition sessions with spinning ${spin === "1" ? "on " : "off"}: sequential plain sessions / whole model = ${median(ratios).toFixed(3)}x (rounds ${ratios.map((v) => v.toFixed(2)).join(" ")})`);
    await Promise.all(parts.map(({ s }) => s.release()));
  }
  await whole.release();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
