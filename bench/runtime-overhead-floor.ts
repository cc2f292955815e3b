// The floor under bench/runtime-overhead.ts: the same 4 partitions of full ResNet-50 run as 4
// plain onnxruntime sessions one after another on one thread, no sparoa runtime at all, against
// the whole model, same intra-op threads. onnxruntime-node gives every session its own thread
// pool (no global pool in the binding), so this is what any multi-session executor starts from.
// onnxruntime's per-kernel profile then shows where the difference goes: the layout reorders
// and unfused kernels each session boundary adds.
//   node --import tsx bench/runtime-overhead-floor.ts [threads=2] [narrow|even]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import * as ort from "onnxruntime-node";
import { runInSequence } from "../ort/sequential.ts";
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
  const options = (session: Record<string, unknown>, profile?: string): ort.InferenceSession.SessionOptions => ({
    intraOpNumThreads: threads, interOpNumThreads: 1, logSeverityLevel: 3, extra: { session },
    ...(profile ? { enableProfiling: true, profileFilePrefix: join(dir, profile) } : {}),
  });
  const whole = await ort.InferenceSession.create(model, options({}));
  const input = whole.inputNames[0]!;
  const x = new ort.Tensor("float32", Float32Array.from({ length: 3 * 224 * 224 }, (_, i) => Math.sin(i)), [1, 3, 224, 224]);
  const openParts = (session: Record<string, unknown>, profile?: string) =>
    Promise.all(manifest.partitions.map(async (p) => ({ label: `partition ${p.id}`, inputs: p.inputs, session: await ort.InferenceSession.create(join(dir, p.file), options(session, profile && `${profile}${p.id}`)) })));
  const runParts = (parts: Awaited<ReturnType<typeof openParts>>) => runInSequence(parts, { [input]: x });
  const timeIt = async (f: () => Promise<unknown>) => {
    const t: number[] = [];
    for (let i = 0; i < 8; i++) { const t0 = performance.now(); await f(); t.push(performance.now() - t0); }
    return median(t);
  };
  console.log(`full ResNet-50 in ${manifest.partitions.length} partitions (${cut} cuts), ${threads} intra-op thread(s); medians of 9 interleaved rounds x 8 runs`);
  const variants = {
    "spinning off": { intra_op: { allow_spinning: "0" } },
    "spinning while running (force_spinning_stop)": { force_spinning_stop: "1" },
  };
  for (const [label, session] of Object.entries(variants)) {
    const parts = await openParts(session);
    for (let i = 0; i < 3; i++) { await runParts(parts); await whole.run({ [input]: x }); }
    const ratios: number[] = [];
    for (let r = 0; r < 9; r++) ratios.push((await timeIt(() => runParts(parts))) / (await timeIt(() => whole.run({ [input]: x }))));
    console.log(`  partition sessions, ${label}: sequential plain sessions / whole model = ${median(ratios).toFixed(3)}x (rounds ${ratios.map((v) => v.toFixed(2)).join(" ")})`);
    await Promise.all(parts.map(({ session }) => session.release()));
  }
  // Where the difference goes, by onnxruntime's own per-kernel profile (20 runs each).
  // Spinning stops when each run returns, so neither side's idle pool steals the other's cores.
  const profiled = await ort.InferenceSession.create(model, options({ force_spinning_stop: "1" }, "whole"));
  const parts = await openParts({ force_spinning_stop: "1" }, "part");
  for (let i = 0; i < 20; i++) { await profiled.run({ [input]: x }); await runParts(parts); }
  profiled.endProfiling();
  for (const { session } of parts) session.endProfiling();
  const files = readdirSync(dir).filter((f) => f.endsWith(".json") && f !== "manifest.json").map((f) => join(dir, f));
  const kernels = (prefix: string) => {
    const byOp = new Map<string, number>();
    for (const f of files.filter((f) => basename(f).startsWith(prefix))) {
      for (const e of JSON.parse(readFileSync(f, "utf8")) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[]) {
        if (e.cat === "Node" && e.name.endsWith("_kernel_time")) byOp.set(e.args!.op_name!, (byOp.get(e.args!.op_name!) ?? 0) + e.dur / 20 / 1000);
      }
    }
    return byOp;
  };
  const w = kernels("whole");
  const p = kernels("part");
  const total = [...w.values()].reduce((a, b) => a + b, 0);
  const rows = [...new Set([...w.keys(), ...p.keys()])].map((op) => ({ op, extra: (p.get(op) ?? 0) - (w.get(op) ?? 0) })).filter((r) => Math.abs(r.extra) > 0.05).sort((a, b) => b.extra - a.extra);
  console.log(`  kernel time per run (onnxruntime profile): whole model ${total.toFixed(2)} ms; the partitions spend more or less in:`);
  for (const r of rows) console.log(`    ${r.op.padEnd(14)} ${r.extra >= 0 ? "+" : ""}${r.extra.toFixed(2)} ms (${((100 * r.extra) / total).toFixed(1)}% of the whole model)`);
  await Promise.all([profiled.release(), ...parts.map(({ session }) => session.release())]);
  await whole.release();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
