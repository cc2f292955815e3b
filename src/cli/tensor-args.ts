// `--input NAME=FILE` (.npy or TensorProto .pb), `--dim SYMBOL=N`, `--batch N` and
// `--input-shape NAME=DIMS`, shared by run and bench.
import { existsSync } from "node:fs";
import { extname } from "node:path";
import type * as ort from "onnxruntime-node";
import { readNpy } from "../io/npy.ts";
import { readTensorFile } from "../../ir/onnx/tensor-file.ts";
import { toOrtTensor } from "../../ort/tensor-bridge.ts";
import { CliError } from "./errors.ts";
import { MAX_DIM } from "../../ir/random.ts";
import { formatShape } from "../../ir/types.ts";
import { parseInputShapes } from "../../passes/shapes/input-shapes.ts";
import type { PackageManifest, TensorSpec } from "../package/manifest.ts";
import { generateFeeds } from "../runtime/generate-inputs.ts";

export function readInputs(specs: readonly string[] | undefined): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const spec of specs ?? []) {
    const at = spec.indexOf("=");
    if (at <= 0) throw new CliError(`--input: '${spec}' is not NAME=FILE (example: --input x=x.npy)`);
    const name = spec.slice(0, at);
    const file = spec.slice(at + 1);
    if (!existsSync(file)) throw new CliError(`--input ${name}: ${file}: no such file`);
    if (feeds[name]) throw new CliError(`--input ${name}: given twice`);
    const ext = extname(file).toLowerCase();
    let tensor;
    try {
      if (ext === ".npy") tensor = readNpy(file, name);
      else if (ext === ".pb") tensor = readTensorFile(file);
      else throw new Error(`unknown file type '${ext || "(none)"}'; use .npy or a TensorProto .pb`);
      feeds[name] = toOrtTensor(tensor);
    } catch (e) {
      throw new CliError(`--input ${name}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  return feeds;
}

export function parseDims(specs: readonly string[] | undefined): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const spec of specs ?? []) {
    const m = /^([^=]+)=(\d+)$/.exec(spec);
    if (!m || Number(m[2]) < 1) throw new CliError(`--dim: '${spec}' is not SYMBOL=N with N >= 1 (example: --dim batch=8)`);
    if (Number(m[2]) > MAX_DIM) throw new CliError(`--dim ${spec}: ${m[2]} is over the limit of ${MAX_DIM} for one dimension`);
    dims[m[1]!] = Number(m[2]);
  }
  return dims;
}

export interface FeedFlags { dim?: string[]; batch?: number; "input-shape"?: string[]; seed: number }

/** The inputs run and bench send, and one line saying where they came from and their shapes. */
export interface PreparedFeeds { feeds: Record<string, ort.Tensor>; shapes: Record<string, number[]>; generated: boolean; line: string }

/**
 * Given inputs as they are; otherwise seeded ones, whose shapes come from --input-shape, then
 * --batch for a leading symbolic dimension (default: the batch the package was planned for,
 * else 1), then --dim SYMBOL=N; any other unknown dimension is refused, naming it.
 */
export function prepareFeeds(manifest: PackageManifest, given: Record<string, ort.Tensor>, flags: FeedFlags): PreparedFeeds {
  const specs = manifest.source.inputs;
  if (Object.keys(given).length > 0) {
    const shapes = Object.fromEntries(Object.entries(given).map(([n, t]) => [n, t.dims.map(Number)]));
    return { feeds: given, shapes, generated: false, line: `inputs: from files: ${describeShapes(shapes, given)}` };
  }
  if (flags.batch !== undefined && (!Number.isInteger(flags.batch) || flags.batch < 1)) throw new CliError(`--batch ${flags.batch}: expected a whole number >= 1`);
  const dims = parseDims(flags.dim);
  const explicit = new Map(parseInputShapes(flags["input-shape"] ?? []).map((s) => [s.name, s.dims]));
  for (const name of explicit.keys()) if (!specs.some((s) => s.name === name)) throw new CliError(`--input-shape names '${name}', which is not an input (inputs: ${specs.map((s) => s.name).join(", ")})`);
  const planned = manifest.plan.inputShapes ?? {};
  const symbols = new Map<string, number>(Object.entries(dims));
  let batchSource = "";
  const concrete: TensorSpec[] = specs.map((spec) => {
    const own = explicit.get(spec.name);
    if (own) {
      if (spec.shape && own.length !== spec.shape.length) throw new CliError(`--input-shape ${spec.name}: ${own.length} dims given, the input has ${spec.shape.length} ${formatShape(spec.shape)}`);
      if (own.some((d) => d === null)) throw new CliError(`--input-shape ${spec.name}: every dimension needs a size here ('?' is not allowed)`);
      spec.shape?.forEach((d, i) => { if (typeof d === "string") symbols.set(d, own[i]!); });
      return { ...spec, shape: own as number[] };
    }
    if (!spec.shape) throw new CliError(`input '${spec.name}' has an unknown shape; pass --input-shape ${spec.name}=DxD... or --input ${spec.name}=FILE`);
    const plan = planned[spec.name] ?? undefined;
    const shape = spec.shape.map((d, axis) => {
      if (typeof d === "number") return d;
      if (typeof d === "string" && symbols.has(d)) return symbols.get(d)!;
      let size: number | undefined;
      if (axis === 0) {
        const plannedSize = typeof plan?.[0] === "number" ? plan[0] : undefined;
        size = flags.batch ?? plannedSize ?? 1;
        batchSource ||= flags.batch !== undefined ? `batch ${size} (--batch)` : plannedSize !== undefined ? `batch ${size}, as planned` : "batch 1 (default; --batch N for another)";
      } else if (typeof plan?.[axis] === "number") {
        size = plan[axis] as number;
      } else {
        throw new CliError(`input '${spec.name}' ${formatShape(spec.shape!)}: ${typeof d === "string" ? `dimension '${d}'` : "an unknown dimension"} at axis ${axis} needs a size: pass ${typeof d === "string" ? `--dim ${d}=SIZE or ` : ""}--input-shape ${spec.name}=${spec.shape!.map((x) => (typeof x === "number" ? x : "SIZE")).join("x")}`);
      }
      if (typeof d === "string") symbols.set(d, size);
      return size;
    });
    return { ...spec, shape };
  });
  const feeds = generateFeeds(concrete, flags.seed);
  const shapes = Object.fromEntries(concrete.map((s) => [s.name, s.shape as number[]]));
  return { feeds, shapes, generated: true, line: `inputs: generated (seed ${flags.seed}${batchSource ? `, ${batchSource}` : ""}): ${describeShapes(shapes, feeds)}` };
}

function describeShapes(shapes: Record<string, number[]>, feeds: Record<string, ort.Tensor>): string {
  return Object.entries(shapes).map(([n, s]) => `${n} ${feeds[n]?.type ?? ""}[${s.join(",")}]`).join(", ");
}
