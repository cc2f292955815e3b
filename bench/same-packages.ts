// Byte-identical packages before and after a refactor: runs `sparoa optimize` on the bundled
// fixtures with this checkout and with another (e.g. `git archive main | tar -x -C /tmp/base`,
// node_modules linked), then compares every package file byte for byte. report.json is compared
// without its wall-clock figures (`timingsMs`, `thresholds.predictor.ms`) and with each checkout's own path replaced by `<checkout>`
// (it names the bundled predictor file); everything else must be equal as written.
//
//   node --import tsx bench/same-packages.ts --base /tmp/base
//
// Exit 0 when every case is identical, 1 otherwise (each differing file is named).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = resolve(fileURLToPath(import.meta.url), "../..");
const baseIndex = process.argv.indexOf("--base");
if (baseIndex < 0 || !process.argv[baseIndex + 1]) {
  process.stderr.write("usage: node --import tsx bench/same-packages.ts --base OTHER_CHECKOUT\n");
  process.exit(2);
}
const base = resolve(process.argv[baseIndex + 1]!);

/** Each case: a fixture and the optimize flags (device profiles, a bound batch, calibration, pins). */
const CASES: { model: string; flags: string[] }[] = [
  { model: "tiny-cnn.onnx", flags: ["--device", "orin-nano"] },
  { model: "tiny-cnn.onnx", flags: ["--device", "agx-orin", "--calibrate", "--samples", "2"] },
  { model: "two-branch.onnx", flags: ["--device", "orin-nano"] },
  { model: "two-branch.onnx", flags: ["--device", "h100-pcie", "--sparsity-threshold", "0.1", "--intensity-threshold", "1"] },
  { model: "tiny-resnet-n.onnx", flags: ["--device", "orin-nano", "--batch", "2"] },
  { model: "tiny-resnet-n.onnx", flags: ["--device", "agx-orin", "--input-shape", "input=4x3x32x32"] },
];

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

function normalised(path: string, checkout: string): Buffer {
  const bytes = readFileSync(path);
  if (!path.endsWith("report.json")) return bytes;
  const report = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  delete report.timingsMs;
  const predictor = (report.thresholds as { predictor?: { ms?: number } } | undefined)?.predictor;
  if (predictor) delete predictor.ms; // the predictor's wall time
  return Buffer.from(JSON.stringify(report).split(checkout).join("<checkout>"));
}

/** Where two JSON values differ, as key paths with both values. */
function jsonDifferences(a: unknown, b: unknown, path = ""): string[] {
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => jsonDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${path || "."}: ${JSON.stringify(a)?.slice(0, 60)} vs ${JSON.stringify(b)?.slice(0, 60)}`];
}

function optimize(checkout: string, model: string, flags: string[], out: string): void {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "optimize", model, ...flags, "-o", out], { cwd: checkout, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${checkout}: optimize ${model} ${flags.join(" ")} failed (${r.status}): ${r.stderr.trim().split("\n").pop()}`);
}

const work = mkdtempSync(join(tmpdir(), "sparoa-same-packages-"));
let differing = 0;
try {
  for (const [i, c] of CASES.entries()) {
    const a = join(work, `${i}-base`), b = join(work, `${i}-this`);
    // One copy of the model both read: the manifest and report name it (relative and absolute).
    const model = join(work, c.model);
    if (!existsSync(model)) copyFileSync(join(here, "fixtures", c.model), model);
    optimize(base, model, c.flags, a);
    optimize(here, model, c.flags, b);
    const fa = files(a), fb = files(b);
    const problems: string[] = [];
    if (fa.join("\n") !== fb.join("\n")) problems.push(`file lists differ: [${fa.join(", ")}] vs [${fb.join(", ")}]`);
    let bytes = 0;
    for (const f of fa.filter((x) => fb.includes(x))) {
      const x = normalised(join(a, f), base), y = normalised(join(b, f), here);
      bytes += y.length;
      if (!x.equals(y)) problems.push(`${f} differs (${x.length} vs ${y.length} bytes)${f.endsWith(".json") ? `: ${jsonDifferences(JSON.parse(x.toString()), JSON.parse(y.toString())).slice(0, 5).join("; ")}` : ""}`);
    }
    differing += problems.length > 0 ? 1 : 0;
    process.stdout.write(`${problems.length === 0 ? "same" : "DIFF"}  ${c.model} ${c.flags.join(" ")}: ${fb.length} files, ${bytes} bytes${problems.length ? `\n      ${problems.join("\n      ")}` : ""}\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(`${CASES.length - differing}/${CASES.length} cases byte-identical (${relative(process.cwd(), base) || base} vs ${here})\n`);
process.exit(differing === 0 ? 0 : 1);
