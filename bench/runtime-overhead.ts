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
import { loadModel } from "../ir/index.ts";
import { loadPackage } from "../src/runtime/runtime.ts";
import { generateFeeds } from "../src/runtime/generate-inputs.ts";
import { closedLoop, plainSession } from "../src/runtime/measure.ts";
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
  // The runtime turns intra-op spinning off for workers holding several sessions; this anchor
  // shows how much of any difference is spinning rather than the runtime.
  const plainNoSpin = await plainSession({ path: model }, threads, false);
  const feeds = generateFeeds(rt.manifest.source.inputs, 1);
  const iterations = Number(values.iterations);
  const senders = { sparoa: () => rt.run(feeds), plain: () => plain.run(feeds), nospin: () => plainNoSpin.run(feeds) };
  for (const send of Object.values(senders)) await closedLoop(send, 3);
  const p50 = { sparoa: [] as number[], plain: [] as number[], nospin: [] as number[] };
  const all = { sparoa: [] as number[], plain: [] as number[], nospin: [] as number[] };
  for (let r = 0; r < Number(values.rounds); r++) {
    // Alternate which goes first so drifting load on the shared machine hits both alike.
    const order = r % 2 === 0 ? (["sparoa", "plain", "nospin"] as const) : (["nospin", "plain", "sparoa"] as const);
    for (const side of order) {
      const res = await closedLoop(senders[side], iterations);
      p50[side].push(median(res.latenciesMs));
      all[side].push(...res.latenciesMs);
    }
  }
  const s = median(all.sparoa);
  const p = median(all.plain);
  console.log(`${values.model} (materialized, ${values.cut} cuts, ${manifest.partitions.length} partitions of ${manifest.partitions.map((q) => q.nodes).join("/")} nodes, ${new Set(manifest.partitions.flatMap((q) => q.inputs)).size - manifest.source.inputs.length} tensors handed between them), one CPU device, ${threads} threads`);
  console.log(`  sparoa runtime      p50 ${s.toFixed(2)} ms`);
  console.log(`  plain onnxruntime   p50 ${p.toFixed(2)} ms`);
  const n = median(all.nospin);
  console.log(`  plain ORT, no spin  p50 ${n.toFixed(2)} ms`);
  console.log(`  ratio sparoa/plain  ${(s / p).toFixed(3)}x (target <= 1.05x); per-round: ${p50.sparoa.map((x, i) => (x / p50.plain[i]!).toFixed(3)).join(" ")}`);
  console.log(`  ratio sparoa/plain without spinning  ${(s / n).toFixed(3)}x; per-round: ${p50.sparoa.map((x, i) => (x / p50.nospin[i]!).toFixed(3)).join(" ")}`);
  await rt.close();
  await plain.release();
  await plainNoSpin.release();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
