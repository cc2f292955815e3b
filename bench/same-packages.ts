// Byte-identical packages before and after a refactor: runs `sparoa optimize` on the bundled
// fixtures with two checkouts (`--base` and `--this`, default this one; e.g. `git archive M^1 |
// tar -x -C /tmp/base`, node_modules linked), then compares every package file byte for byte.
// report.json is compared without its wall-clock figures (`timingsMs`, `thresholds.predictor.ms`)
// and with each checkout's own path replaced by `<checkout>` (it names the bundled predictor
// file); everything else must be equal as written.
//
// `--renamed` compares across a deliberate rename of keys (issue 18: `device` -> `processor`
// where it names a processor): the base's files are rewritten through the renames first, then
// compared byte for byte with this checkout's. Each comma-separated entry is one of
//   OLD=NEW            an ONNX metadata_props key (model and every node, bodies included), also
//                      a JSON string value equal to OLD (a schema name)
//   json:PATH=NEW      a JSON field renamed in place, PATH like `partitions[].device`
// ONNX files are decoded, renamed and re-encoded (the unrenamed re-encoding is checked to give
// the base's exact bytes first, so the comparison stays byte-level). `--renamed issue18` names
// the issue's set (RENAMES_ISSUE_18 below).
//
//   node --import tsx bench/same-packages.ts --base /tmp/base [--this /tmp/other] [--renamed issue18]
//
// Exit 0 when every case is identical, 1 otherwise (each differing file is named).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeModel, encodeModel, type GraphProto, type StringStringEntryProto } from "../ir/onnx/proto.ts";

/** Issue 18's renames: the key and field that named a node's or partition's processor `device`, and the format versions. */
const RENAMES_ISSUE_18 =
  "sparoa.device=sparoa.processor,sparoa.package.v1=sparoa.package.v2,sparoa.optimize-report.v1=sparoa.optimize-report.v2," +
  "json:partitions[].device=processor,json:nodes[].device=processor,json:summary.crossDeviceEdges=crossProcessorEdges";

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const here = resolve(fileURLToPath(import.meta.url), "../..");
if (!option("--base")) {
  process.stderr.write("usage: node --import tsx bench/same-packages.ts --base OTHER_CHECKOUT [--this CHECKOUT] [--renamed OLD=NEW,json:PATH=NEW,...|issue18]\n");
  process.exit(2);
}
const base = resolve(option("--base")!);
const current = resolve(option("--this") ?? here);
const renameText = option("--renamed") === "issue18" ? RENAMES_ISSUE_18 : option("--renamed") ?? "";
const keyRenames = new Map<string, string>();
const fieldRenames: { path: string[]; to: string }[] = [];
for (const entry of renameText.split(",").filter(Boolean)) {
  const eq = entry.lastIndexOf("=");
  if (eq <= 0) throw new Error(`--renamed: '${entry}' is not OLD=NEW`);
  const [from, to] = [entry.slice(0, eq), entry.slice(eq + 1)];
  if (from.startsWith("json:")) fieldRenames.push({ path: from.slice(5).split("."), to });
  else keyRenames.set(from, to);
}

/** Each case: a fixture and the optimize flags (device profiles, a bound batch, calibration, pins). */
const CASES: { model: string; flags: string[] }[] = [
  { model: "tiny-cnn.onnx", flags: ["--device", "orin-nano"] },
  { model: "tiny-cnn.onnx", flags: ["--device", "agx-orin", "--calibrate", "--samples", "2"] },
  { model: "two-branch.onnx", flags: ["--device", "orin-nano"] },
  { model: "two-branch.onnx", flags: ["--device", "h100-pcie", "--sparsity-threshold", "0.1", "--intensity-threshold", "1"] },
  { model: "tiny-resnet-n.onnx", flags: ["--device", "orin-nano", "--batch", "2"] },
  { model: "tiny-resnet-n.onnx", flags: ["--device", "agx-orin", "--input-shape", "input=4x3x32x32"] },
  // The plans above put every node on the cpu (one partition); pins make plans with gpu
  // partitions, boundaries between processors and constants recomputed per partition.
  { model: "two-branch.onnx", flags: ["--device", "orin-nano", "--pin", "re:^right=gpu"] },
  { model: "tiny-resnet-n.onnx", flags: ["--device", "agx-orin", "--batch", "2", "--pin", "op:Conv=gpu"] },
  { model: "tiny-cnn.onnx", flags: ["--device", "h100-pcie", "--calibrate", "--samples", "2", "--pin", "op:Relu=gpu"] },
];

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

/** Renames a field along `path` (`a[]` walks every element of array `a`) in place, keeping key order. */
function renameField(value: unknown, path: string[], to: string): void {
  if (value === null || typeof value !== "object") return;
  const [head, ...rest] = path;
  const record = value as Record<string, unknown>;
  if (head === undefined) return;
  const each = head.endsWith("[]");
  const key = each ? head.slice(0, -2) : head;
  if (rest.length === 0 && !each) {
    if (!(key in record)) return;
    const entries = Object.entries(record).map(([k, v]) => [k === key ? to : k, v] as const);
    for (const k of Object.keys(record)) delete record[k];
    for (const [k, v] of entries) record[k] = v;
    return;
  }
  const next = record[key];
  if (each && Array.isArray(next)) for (const element of next) renameField(element, rest, to);
  else if (!each) renameField(next, rest, to);
}

function renameStrings(value: unknown): unknown {
  if (typeof value === "string") return keyRenames.get(value) ?? value;
  if (Array.isArray(value)) return value.map(renameStrings);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renameStrings(v)]));
  return value;
}

function renameMetadata(props: StringStringEntryProto[]): void {
  for (const p of props) p.key = keyRenames.get(p.key) ?? p.key;
}

function renameGraph(graph: GraphProto | undefined): void {
  if (!graph) return;
  for (const node of graph.node) {
    renameMetadata(node.metadataProps);
    for (const a of node.attribute) {
      renameGraph(a.g);
      for (const g of a.graphs) renameGraph(g);
    }
  }
}

/** The base's ONNX file with the metadata keys renamed, re-encoded; throws when re-encoding alone would change its bytes. */
function renamedOnnx(bytes: Buffer, path: string): Buffer {
  const model = decodeModel(bytes);
  if (!Buffer.from(encodeModel(model)).equals(bytes)) throw new Error(`${path}: re-encoding does not give the same bytes; cannot compare across renames`);
  renameMetadata(model.metadataProps);
  renameGraph(model.graph);
  for (const f of model.functions) for (const n of f.node) renameMetadata(n.metadataProps);
  return Buffer.from(encodeModel(model));
}

function normalised(path: string, checkout: string, renamed: boolean): Buffer {
  const bytes = readFileSync(path);
  if (renamed && keyRenames.size > 0 && path.endsWith(".onnx")) return renamedOnnx(bytes, path);
  if (!path.endsWith(".json")) return bytes;
  let json = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  if (renamed) {
    for (const r of fieldRenames) renameField(json, r.path, r.to);
    json = renameStrings(json) as Record<string, unknown>;
  }
  if (!path.endsWith("report.json")) return renamed ? Buffer.from(JSON.stringify(json, null, 2) + "\n") : bytes;
  delete json.timingsMs;
  const predictor = (json.thresholds as { predictor?: { ms?: number } } | undefined)?.predictor;
  if (predictor) delete predictor.ms; // the predictor's wall time
  return Buffer.from(JSON.stringify(json).split(checkout).join("<checkout>"));
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
    optimize(current, model, c.flags, b);
    const fa = files(a), fb = files(b);
    const problems: string[] = [];
    if (fa.join("\n") !== fb.join("\n")) problems.push(`file lists differ: [${fa.join(", ")}] vs [${fb.join(", ")}]`);
    let bytes = 0;
    for (const f of fa.filter((x) => fb.includes(x))) {
      const x = normalised(join(a, f), base, true), y = normalised(join(b, f), current, false);
      bytes += readFileSync(join(b, f)).length;
      if (!x.equals(y)) problems.push(`${f} differs (${x.length} vs ${y.length} bytes)${f.endsWith(".json") ? `: ${jsonDifferences(JSON.parse(x.toString()), JSON.parse(y.toString())).slice(0, 5).join("; ")}` : ""}`);
    }
    differing += problems.length > 0 ? 1 : 0;
    process.stdout.write(`${problems.length === 0 ? "same" : "DIFF"}  ${c.model} ${c.flags.join(" ")}: ${fb.length} files, ${bytes} bytes${problems.length ? `\n      ${problems.join("\n      ")}` : ""}\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const renames = renameText ? ` after renames ${renameText}` : "";
process.stdout.write(`${CASES.length - differing}/${CASES.length} cases byte-identical (${relative(process.cwd(), base) || base} vs ${relative(process.cwd(), current) || current})${renames}\n`);
process.exit(differing === 0 ? 0 : 1);
