// sparoa's round trip (loadModel + verify + saveModel) of a full-weight ResNet-50 (102 MB)
// against the anchor, onnxruntime's InferenceSession.create on the same file, in the same run.
// Each measurement runs in a fresh child process, so its peak memory (maxRSS) is its own;
// runs alternate between the two so machine load hits both alike.
//   node --import tsx bench/roundtrip.ts [model.onnx] [runs]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { assertValid, loadModel, saveModel } from "../ir/index.ts";
import { BACKEND_TESTS } from "../test/support/corpus.ts";
import { materialize } from "./support/materialize.ts";

interface Sample { phases: Record<string, number>; total: number; rssBefore: number; peakRss: number }

const rss = () => process.resourceUsage().maxRSS * 1024;

/** One measurement, inside a child process: prints a Sample as JSON. */
async function child(kind: string, path: string): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  const phases: Record<string, number> = {};
  const lap = (name: string, t0: number) => { phases[name] = performance.now() - t0; return performance.now(); };
  const start = performance.now();
  if (kind === "sparoa") {
    const dir = mkdtempSync(join(tmpdir(), "sparoa-bench-"));
    try {
      let t = performance.now();
      const model = loadModel(path);
      t = lap("load", t);
      assertValid(model);
      t = lap("verify", t);
      saveModel(model, join(dir, "out.onnx"));
      lap("save", t);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    const session = await ort.InferenceSession.create(path, { logSeverityLevel: 3 });
    phases.create = performance.now() - start;
    await session.release();
  }
  const sample: Sample = { phases, total: performance.now() - start, rssBefore, peakRss: rss() };
  process.stdout.write(JSON.stringify(sample) + "\n");
}

function measure(kind: string, path: string): Sample {
  const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", kind, path], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${kind} child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Sample;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;

async function main(): Promise<void> {
  const path = process.argv[2] || materialize(join(BACKEND_TESTS, "light", "light_resnet50.onnx"));
  const runs = Number(process.argv[3] ?? 5);
  const size = statSync(path).size;
  const ours: Sample[] = [];
  const anchor: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first so a warm page cache or a burst of load favours neither.
    if (i % 2 === 0) { ours.push(measure("sparoa", path)); anchor.push(measure("ort", path)); }
    else { anchor.push(measure("ort", path)); ours.push(measure("sparoa", path)); }
  }
  const phase = (s: Sample[], name: string) => median(s.map((x) => x.phases[name]!));
  const oursMs = median(ours.map((s) => s.total));
  const anchorMs = median(anchor.map((s) => s.total));
  const peak = (s: Sample[]) => median(s.map((x) => x.peakRss));
  const work = (s: Sample[]) => median(s.map((x) => x.peakRss - x.rssBefore));
  console.log(`model ${path} (${mb(size)}), ${runs} runs each in fresh processes, medians:`);
  console.log(`  sparoa round trip  ${oursMs.toFixed(0)} ms  (load ${phase(ours, "load").toFixed(0)}, verify ${phase(ours, "verify").toFixed(0)}, save ${phase(ours, "save").toFixed(0)})`);
  console.log(`  anchor: onnxruntime InferenceSession.create  ${anchorMs.toFixed(0)} ms`);
  console.log(`  ratio sparoa / onnxruntime: ${(oursMs / anchorMs).toFixed(2)}x`);
  console.log(`  peak RSS: sparoa ${mb(peak(ours))} (${mb(work(ours))} above its start, ${(work(ours) / size).toFixed(2)}x the file), `
    + `onnxruntime ${mb(peak(anchor))} (${mb(work(anchor))} above its start, ${(work(anchor) / size).toFixed(2)}x)`);
  console.log(`  all runs (ms): sparoa ${ours.map((s) => s.total.toFixed(0)).join(" ")}; onnxruntime ${anchor.map((s) => s.total.toFixed(0)).join(" ")}`);
}

if (process.argv[2] === "--child") await child(process.argv[3]!, process.argv[4]!);
else await main();
