// `--input NAME=FILE` (.npy or TensorProto .pb) and `--dim SYMBOL=N`, shared by run and bench.
import { existsSync } from "node:fs";
import { extname } from "node:path";
import type * as ort from "onnxruntime-node";
import { readNpy } from "../io/npy.ts";
import { readTensorFile } from "../../ir/onnx/tensor-file.ts";
import { toOrtTensor } from "../runtime/ort-tensor.ts";
import { CliError } from "./errors.ts";
import { MAX_DIM } from "../../ir/random.ts";

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
