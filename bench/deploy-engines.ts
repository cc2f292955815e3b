// The two ways to run a package against plain onnxruntime on the original model, in one run:
//   workers  `sparoa run|bench --engine workers`: a worker thread per device over the partition models
//   ort      `--engine ort`: model.annotated.onnx as ONE onnxruntime session, layer_ann settings
//   plain    onnxruntime on the original model (the anchor)
// Packages: the two-branch model cut left / right / join on cpu / gpu / cpu (the gpu device runs
// on the CPU here), and light-corpus CNNs cut in thirds (cpu / gpu / cpu). Every device gets one
// intra-op thread; plain onnxruntime gets as many threads as the package has devices. Sides
// alternate in blocks; the figures are medians of the per-request latencies.
//   node --import tsx bench/deploy-engines.ts [--rounds 5] [--block 10]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir, loadavg } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { saveModel } from "../ir/index.ts";
import { generateFeeds } from "../src/runtime/generate-inputs.ts";
import { closedLoop, plainSession } from "../src/runtime/closed-loop.ts";
import { OrtEngine } from "../src/runtime/ort-engine.ts";
import { loadPackage } from "../src/runtime/runtime.ts";
import { median } from "../src/runtime/stats.ts";
import { lightModels } from "../test/support/corpus.ts";
import { writeThirdsPackage } from "../test/support/deploy-packages.ts";
import { writeHandPackage } from "../test/support/hand-package.ts";
import { twoBranchModel } from "./support/models.ts";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "5" }, block: { type: "string", default: "10" } } });
const rounds = Number(values.rounds);
const block = Number(values.block);
const work = mkdtempSync(join(tmpdir(), "sparoa-deploy-engines-"));

interface Case { name: string; original: string; pkg: string; dims: Record<string, number> }

async function cases(): Promise<Case[]> {
  const out: Case[] = [];
  const twoBranch = join(work, "two-branch.onnx");
  saveModel(twoBranchModel(512, 8), twoBranch);
  await writeHandPackage(twoBranch, join(work, "pkg-two-branch"), (n) => (n.name.startsWith("left") ? { partition: 0, processor: "cpu" } : n.name.startsWith("right") ? { partition: 1, processor: "gpu" } : { partition: 2, processor: "cpu" }));
  out.push({ name: "two-branch 512x8 (batch 64)", original: twoBranch, pkg: join(work, "pkg-two-branch"), dims: { batch: 64 } });
  for (const m of lightModels().filter((p) => /squeezenet|inception_v1|resnet50/.test(p))) {
    out.push({ name: `${basename(m, ".onnx")} (thirds)`, original: m, pkg: await writeThirdsPackage(m, join(work, `pkg-${basename(m, ".onnx")}`)), dims: {} });
  }
  return out;
}

const rows: string[] = [];
try {
  for (const c of await cases()) {
    const workers = await loadPackage(c.pkg, { threads: 1 });
    const ort = await OrtEngine.load(c.pkg, { threads: 1 });
    // The other execution mode, to see whether the default choice helps.
    const ortOther = await OrtEngine.load(c.pkg, { threads: 1, executionMode: ort.executionMode === "parallel" ? "sequential" : "parallel" });
    const devices = workers.placements.length;
    const plain = await plainSession({ path: c.original }, devices);
    const feeds = generateFeeds(workers.manifest.source.inputs, 1, c.dims);
    const sides = { plain: () => plain.run(feeds), workers: () => workers.run(feeds), ort: () => ort.run(feeds), ortOther: () => ortOther.run(feeds) };
    const latencies: Record<keyof typeof sides, number[]> = { plain: [], workers: [], ort: [], ortOther: [] };
    for (const send of Object.values(sides)) await closedLoop(send, 3);
    for (let r = 0; r < rounds; r++) {
      for (const [side, send] of Object.entries(sides) as [keyof typeof sides, () => Promise<unknown>][]) latencies[side].push(...(await closedLoop(send, block)).latenciesMs);
    }
    const p50 = { plain: median(latencies.plain), workers: median(latencies.workers), ort: median(latencies.ort), ortOther: median(latencies.ortOther) };
    const vs = (x: number) => `${x.toFixed(2)} (${(x / p50.plain).toFixed(2)}x)`;
    rows.push(`| ${c.name} | ${workers.manifest.partitions.length} | ${devices} x 1 | ${p50.plain.toFixed(2)} | ${vs(p50.workers)} | ${vs(p50.ort)} ${ort.executionMode} | ${vs(p50.ortOther)} ${ortOther.executionMode} |`);
    process.stderr.write(`${rows.at(-1)}\n`);
    await workers.close();
    await ort.close();
    await ortOther.close();
    await plain.release();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(`${new Date().toISOString()} load ${loadavg().map((x) => x.toFixed(1)).join(" ")}; ${rounds} rounds x ${block} requests per side\n`);
process.stdout.write("| model | partitions | device threads | plain ort p50 ms | --engine workers p50 ms (/plain) | --engine ort p50 ms (/plain), default mode | --engine ort, other mode |\n| --- | --- | --- | --- | --- | --- | --- |\n");
process.stdout.write(rows.join("\n") + "\n");
