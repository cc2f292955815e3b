// Low overhead: full-weight ResNet-50 cut into 4 contiguous partitions, all on one CPU
// device, against plain onnxruntime on the whole model with the same threads. Target: p50
// within 1.05x. `--cut narrow` (default) cuts between residual blocks, where one tensor
// crosses, as a partitioner minimising transfers would; `--cut even` cuts at equal node
// counts, mid-block, where two tensors cross and onnxruntime loses a fusion at each cut.
//   node --import tsx bench/runtime-overhead.ts [--threads 2] [--rounds 7] [--iterations 8] [--cut narrow|even]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runInSequence } from "../ort/sequential.ts";
import { openSession } from "../ort/session.mjs";
import { loadModel } from "../ir/index.ts";
import { loadPackage } from "../src/runtime/runtime.ts";
import { generateFeeds } from "../src/runtime/generate-inputs.ts";
import { closedLoop, plainSession } from "../src/runtime/closed-loop.ts";
import { median } from "../src/runtime/stats.ts";
import { narrowCuts, slices, writeHandPackage } from "../test/support/hand-package.ts";
import { BACKEND_TESTS } from "../test/support/corpus.ts";
import { materialize } from "./support/materialize.ts";

const { values } = parseArgs({ options: { threads: { type: "string", default: "2" }, rounds: { type: "string", default: "7" }, iterations: { type: "string", default: "8" }, partitions: { type: "string", default: "4" }, model: { type: "string", default: "light_resnet50.onnx" }, cut: { type: "string", default: "narrow" } } });
const threads = Number(values.threads);
const model = materialize(join(BACKEND_TESTS, "light", values.model!));
const dir = mkdtempSync(join(tmpdir(), "sparoa-overhead-"));
try {
  const count = Number(values.partitions);
  const graph = loadModel(model).graph;
  if (values.cut !== "narrow" && values.cut !== "even") throw new Error(`--cut ${values.cut}: expected narrow or even`);
  const manifest = await writeHandPackage(model, dir, values.cut === "even" ? slices(graph.nodes.length, count) : narrowCuts(graph, count));
  const rt = await loadPackage(dir, { threads });
  const plain = await plainSession({ path: model }, threads);
  // The floor: the same partitions as plain onnxruntime sessions run one after another on this
  // thread, with the settings the runtime's worker uses. sparoa / floor is the runtime's own cost.
  const sessions = await Promise.all(manifest.partitions.map(async (p) => ({
    label: `partition ${p.id}`, inputs: p.inputs,
    session: await openSession(join(dir, p.file), { intraOpNumThreads: threads, interOpNumThreads: 1, logSeverityLevel: 3, extra: { session: { force_spinning_stop: "1" } } }),
  })));
  const feeds = generateFeeds(rt.manifest.source.inputs, 1);
  const runSessions = () => runInSequence(sessions, feeds);
  const iterations = Number(values.iterations);
  const senders = { sparoa: () => rt.run(feeds), plain: () => plain.run(feeds), floor: runSessions };
  for (const send of Object.values(senders)) await closedLoop(send, 3);
  const p50 = { sparoa: [] as number[], plain: [] as number[], floor: [] as number[] };
  const all = { sparoa: [] as number[], plain: [] as number[], floor: [] as number[] };
  for (let r = 0; r < Number(values.rounds); r++) {
    // Alternate which goes first so drifting load on the shared machine hits both alike.
    const order = r % 2 === 0 ? (["sparoa", "plain", "floor"] as const) : (["floor", "plain", "sparoa"] as const);
    for (const side of order) {
      const res = await closedLoop(senders[side], iterations);
      p50[side].push(median(res.latenciesMs));
      all[side].push(...res.latenciesMs);
    }
  }
  const m = { sparoa: median(all.sparoa), plain: median(all.plain), floor: median(all.floor) };
  const rounds = (a: number[], b: number[]) => a.map((x, i) => (x / b[i]!).toFixed(3)).join(" ");
  console.log(`${values.model} (materialized, ${values.cut} cuts, ${manifest.partitions.length} partitions of ${manifest.partitions.map((q) => q.nodes).join("/")} nodes, ${new Set(manifest.partitions.flatMap((q) => q.inputs)).size - manifest.source.inputs.length} tensors handed between them), one CPU device, ${threads} threads`);
  console.log(`  sparoa runtime                      p50 ${m.sparoa.toFixed(2)} ms`);
  console.log(`  plain onnxruntime, whole model      p50 ${m.plain.toFixed(2)} ms`);
  console.log(`  plain sessions of the partitions    p50 ${m.floor.toFixed(2)} ms (in sequence on one thread, no runtime)`);
  console.log(`  ratio sparoa / plain          ${(m.sparoa / m.plain).toFixed(3)}x (target <= 1.05x); per round: ${rounds(p50.sparoa, p50.plain)}`);
  console.log(`  ratio sessions / plain        ${(m.floor / m.plain).toFixed(3)}x (onnxruntime's cost of the cuts); per round: ${rounds(p50.floor, p50.plain)}`);
  console.log(`  ratio sparoa / sessions       ${(m.sparoa / m.floor).toFixed(3)}x (the runtime's own cost); per round: ${rounds(p50.sparoa, p50.floor)}`);
  await rt.close();
  await plain.release();
  await Promise.all(sessions.map(({ session }) => session.release()));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
