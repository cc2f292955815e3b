// What a calibration run feeds the model: the concrete shape of every graph input (symbolic
// dimensions bound), user files validated against those shapes, or seeded generated data.
//
// Generated data (documented in docs/sparsity.md): sample k of seed S draws from
// seededRandom(mix(S, k)), inputs in graph order; floats are normal(0, 1) (Box-Muller), integers
// are uniform over {0, 1} (valid as token ids, segment ids and masks), bools uniform. Sample k is
// the same whatever the sample count.
import { SparoaError } from "../../ir/sparoa-error.ts";
import { DataType, dtypeName } from "../../ir/dtype.ts";
import type { Model } from "../../ir/model.ts";
import { didYouMean } from "../../ir/names.ts";
import { readTensorFile } from "../../ir/onnx/tensor-file.ts";
import { Tensor, type NumericArray } from "../../ir/tensor.ts";
import { formatShape, type Dim } from "../../ir/types.ts";
import type { Value } from "../../ir/value.ts";
import { readNpy } from "../../src/io/npy.ts";
import { randomTensor, seededRandom } from "../../ir/random.ts";

/** A model input that must be fed: its element type and its declared (possibly symbolic) shape. */
export interface InputSpec { name: string; value: Value; dtype: number; declared: readonly Dim[] | undefined }

/** One sample: a tensor per fed input, by input name. */
export type Sample = ReadonlyMap<string, Tensor>;

export class CalibrationInputError extends SparoaError {}

/** Inputs that need data: graph inputs without an initializer (IR < 4 lists weights as inputs too). */
export function feedInputs(model: Model): InputSpec[] {
  return model.graph.inputs.filter((v) => !v.initializer).map((v) => {
    if (v.type?.kind !== "tensor") throw new CalibrationInputError(`input '${v.name}' is not a tensor (${v.type?.kind ?? "no type"}); calibration feeds tensors only`);
    return { name: v.name, value: v, dtype: v.type.elemType, declared: v.type.shape };
  });
}

/** `NAME=FILE` -> [name, file]. */
export function parseCalibrationFile(text: string): [string, string] {
  const eq = text.indexOf("=");
  if (eq <= 0 || eq === text.length - 1) throw new CalibrationInputError(`calibration input '${text}': expected NAME=FILE (.npy or TensorProto .pb)`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

function unknownInput(name: string, specs: readonly InputSpec[], what: string): CalibrationInputError {
  const names = specs.map((s) => s.name);
  return new CalibrationInputError(`${what} '${name}' is not an input of the model${didYouMean(name, names)}; inputs: ${names.join(", ") || "(none)"}`);
}

/**
 * Specs with `--input-shape` bindings applied. Refuses unknown names, wrong ranks and sizes that
 * contradict a fixed dimension.
 */
export function withInputShapes(specs: readonly InputSpec[], shapes: ReadonlyMap<string, readonly number[]>): InputSpec[] {
  for (const name of shapes.keys()) if (!specs.some((s) => s.name === name)) throw unknownInput(name, specs, "--input-shape names");
  return specs.map((spec) => {
    const dims = shapes.get(spec.name);
    if (!dims) return spec;
    const { name, declared } = spec;
    const flag = `--input-shape ${name}=${dims.join("x")}`;
    if (declared && declared.length !== dims.length) throw new CalibrationInputError(`${flag}: input '${name}' has rank ${declared.length} (shape ${formatShape(declared)})`);
    declared?.forEach((d, axis) => {
      if (typeof d === "number" && d !== dims[axis]) throw new CalibrationInputError(`${flag}: axis ${axis} of input '${name}' is fixed at ${d} (shape ${formatShape(declared)})`);
    });
    return { ...spec, declared: [...dims] };
  });
}

/**
 * Concrete dims for generated data: fixed dims stay, a leading symbolic dim defaults to 1 (batch),
 * a symbol bound on another input takes that size; anything else is an error naming the flag to pass.
 */
export function concreteShapes(specs: readonly InputSpec[]): Map<string, number[]> {
  const symbols = new Map<string, number>();
  const out = new Map<string, number[]>();
  for (const s of specs) {
    if (s.declared === undefined) {
      throw new CalibrationInputError(`input '${s.name}' has no declared shape; pass --input-shape ${s.name}=DxDx... or calibration files`);
    }
    const dims = s.declared.map((d, axis) => {
      if (typeof d === "number") return d;
      if (typeof d === "string" && symbols.has(d)) return symbols.get(d)!;
      if (axis === 0) {
        if (typeof d === "string") symbols.set(d, 1);
        return 1;
      }
      const example = s.declared!.map((e, i) => (typeof e === "number" ? e : i === 0 ? 1 : "N")).join("x");
      throw new CalibrationInputError(`input '${s.name}' has symbolic dimension '${d ?? "?"}' at axis ${axis} (shape ${formatShape(s.declared)}); pass --input-shape ${s.name}=${example} with N chosen`);
    });
    out.set(s.name, dims);
  }
  return out;
}

/** Seeds sample k of seed S independently of how many samples are drawn. */
function sampleSeed(seed: number, k: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca6b)) >>> 0;
}

/** Generated sample `k` for `specs`, drawn as ir/random.ts documents. */
export function generatedSample(specs: readonly InputSpec[], shapes: ReadonlyMap<string, readonly number[]>, seed: number, k: number): Sample {
  const rand = seededRandom(sampleSeed(seed, k));
  const sample = new Map<string, Tensor>();
  for (const s of specs) {
    try {
      sample.set(s.name, randomTensor(s.name, s.dtype, shapes.get(s.name)!, rand));
    } catch (e) {
      throw new CalibrationInputError(`${(e as Error).message.replace(/pass a file$/, "pass calibration files")}`);
    }
  }
  return sample;
}

function readInputFile(path: string, name: string): Tensor {
  if (/\.npy$/i.test(path)) return readNpy(path, name);
  if (/\.pb$/i.test(path)) {
    const t = readTensorFile(path);
    return Tensor.fromBytes(name, t.dtype, t.dims, t.bytes());
  }
  throw new CalibrationInputError(`calibration input '${name}' (${path}): unknown file type; use .npy or a TensorProto .pb`);
}

/** Splits a tensor with one extra leading axis into that many samples. */
function unstack(t: Tensor): Tensor[] {
  const [n, ...inner] = t.dims;
  const each = t.byteLength / n!;
  return Array.from({ length: n! }, (_, i) => Tensor.fromBytes(t.name, t.dtype, inner, t.bytes().subarray(i * each, (i + 1) * each)));
}

/**
 * Reads user calibration files (input name -> files, one sample each; a .npy with one extra
 * leading axis holds several samples) and checks names, element types and shapes against the
 * model. Every input must get the same number of samples.
 */
export function fileSamples(specs: readonly InputSpec[], files: ReadonlyMap<string, readonly string[]>): Sample[] {
  for (const name of files.keys()) if (!specs.some((s) => s.name === name)) throw unknownInput(name, specs, "calibration input");
  const missing = specs.filter((s) => !files.has(s.name));
  if (missing.length > 0) {
    throw new CalibrationInputError(`calibration files given for ${[...files.keys()].map((n) => `'${n}'`).join(", ")} but not for input '${missing[0]!.name}' (${dtypeName(missing[0]!.dtype)}${formatShape(missing[0]!.declared)}); give every input or none`);
  }
  const perInput = new Map<string, Tensor[]>();
  for (const s of specs) {
    const tensors: Tensor[] = [];
    for (const path of files.get(s.name)!) {
      let t: Tensor;
      try {
        t = readInputFile(path, s.name);
      } catch (e) {
        if (e instanceof CalibrationInputError) throw e;
        throw new CalibrationInputError(`calibration input '${s.name}' (${path}): ${(e as Error).message.replace(`${path}: `, "")}`);
      }
      const expected = `${dtypeName(s.dtype)}${formatShape(s.declared)}`;
      if (t.dtype !== s.dtype) throw new CalibrationInputError(`calibration input '${s.name}' (${path}): element type ${dtypeName(t.dtype)}, expected ${expected}`);
      const fits = (dims: readonly number[]) => s.declared === undefined || (dims.length === s.declared.length && s.declared.every((d, i) => typeof d !== "number" || d === dims[i]));
      if (fits(t.dims)) tensors.push(t);
      else if (t.dims.length > 0 && fits(t.dims.slice(1))) tensors.push(...unstack(t));
      else throw new CalibrationInputError(`calibration input '${s.name}' (${path}): shape ${formatShape(t.dims)}, expected ${expected} (or N stacked samples)`);
    }
    perInput.set(s.name, tensors);
  }
  const counts = specs.map((s) => perInput.get(s.name)!.length);
  if (counts.some((c) => c !== counts[0])) {
    throw new CalibrationInputError(`calibration inputs disagree on the number of samples: ${specs.map((s, i) => `'${s.name}' has ${counts[i]}`).join(", ")}`);
  }
  const samples: Sample[] = [];
  for (let k = 0; k < (counts[0] ?? 0); k++) {
    const sample = new Map(specs.map((s) => [s.name, perInput.get(s.name)![k]!] as const));
    checkSymbols(specs, sample, k);
    samples.push(sample);
  }
  return samples;
}

/** A symbol shared by several inputs (e.g. `batch`) must have one size within a sample. */
function checkSymbols(specs: readonly InputSpec[], sample: Sample, k: number): void {
  const seen = new Map<string, { size: number; input: string }>();
  for (const s of specs) {
    s.declared?.forEach((d, axis) => {
      if (typeof d !== "string") return;
      const size = sample.get(s.name)!.dims[axis]!;
      const first = seen.get(d);
      if (first && first.size !== size) {
        throw new CalibrationInputError(`calibration sample ${k}: dimension '${d}' is ${first.size} in input '${first.input}' but ${size} in input '${s.name}'`);
      }
      seen.set(d, first ?? { size, input: s.name });
    });
  }
}
