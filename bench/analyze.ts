// `sparoa analyze` on full-weight models of 100 MB and more (ResNet-50 102 MB, VGG-19 575 MB):
// wall time and peak RSS of the child process, against plain onnxruntime loading the same file
// and running one inference (same machine, same run). Medians of --runs runs.
//
//   node --import tsx bench/analyze.ts [--runs 3] [--samples 8] [--models resnet50,vgg19] [--chunk-mb 32]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { BACKEND_TESTS, PROJECT_ROOT } from "../test/support/corpus.ts";
import { materialize } from "./support/materialize.ts";

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const runs = Number(flag("runs", "3"));
const samples = flag("samples", "8");
const models = flag("models", "resnet50,vgg19").split(",");
const chunkMb = flag("chunk-mb", "");
const scratch = mkdtempSync(join(tmpdir(), "sparoa-bench-"));

interface Measure { wallMs: number; maxRssBytes: number }

function measure(args: string[]): Measure {
  const usage = join(scratch, "usage.json");
  const start = performance.now();
  const r = spawnSync(process.execPath, ["--require", join(PROJECT_ROOT, "bench/support/report-usage.cjs"), ...args], {
    cwd: PROJECT_ROOT, env: { ...process.env, SPAROA_USAGE_OUT: usage }, encoding: "utf8", maxBuffer: 256 * 2 ** 20,
  });
  const wallMs = performance.now() - start;
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed (${r.status}): ${r.stderr.trim().split("\n").pop()}`);
  return { wallMs, maxRssBytes: JSON.parse(readFileSync(usage, "utf8")).maxRssBytes };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;

console.log(`analyze bench: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; ${runs} run(s), ${samples} samples${chunkMb ? `, chunk ${chunkMb} MiB` : ""}`);
console.log("model        file     | analyze wall  peak RSS  RSS/file | onnxruntime wall  peak RSS | ratios wall  RSS");
try {
  for (const name of models) {
    const path = materialize(join(BACKEND_TESTS, "light", `light_${name}.onnx`));
    const size = statSync(path).size;
    const analyzeArgs = [join(PROJECT_ROOT, "bin/sparoa.js"), "analyze", path, "--json", "--samples", samples, ...(chunkMb ? ["--chunk-mb", chunkMb] : [])];
    const anchorArgs = ["--import", "tsx", join(PROJECT_ROOT, "bench/support/ort-anchor.ts"), path];
    const a: Measure[] = [];
    const o: Measure[] = [];
    for (let i = 0; i < runs; i++) {
      o.push(measure(anchorArgs));
      a.push(measure(analyzeArgs));
    }
    const aw = median(a.map((m) => m.wallMs));
    const ar = median(a.map((m) => m.maxRssBytes));
    const ow = median(o.map((m) => m.wallMs));
    const or = median(o.map((m) => m.maxRssBytes));
    console.log(`${name.padEnd(12)} ${mb(size).padStart(7)}  | ${(aw / 1000).toFixed(1).padStart(9)} s  ${mb(ar).padStart(8)}  ${(ar / size).toFixed(2).padStart(6)}x  | ${(ow / 1000).toFixed(1).padStart(13)} s  ${mb(or).padStart(8)} | ${(aw / ow).toFixed(1).padStart(9)}x  ${(ar / or).toFixed(2)}x`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
