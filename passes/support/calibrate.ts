// Calibration runs: execute a model with onnxruntime on calibration samples and hand every
// intermediate value of every sample to a callback, one at a time, so callers reduce on the fly
// (zero counts, observed shapes) and nothing holds all intermediates of all samples.
//
// How: the wanted values become extra graph outputs (onnxruntime only returns graph outputs),
// and the weights reach onnxruntime as in-memory "external data" pointing into the buffers the
// IR already holds, so the exported model is small and not a second copy of the weights. When
// one sample's intermediates exceed `chunkBytes`, they are split into chunks in graph order, each
// run by its own session over all samples (onnxruntime then runs only the nodes a chunk needs).
//
// Use:
//   const summary = await calibrate(model, { samples: 8, seed: 0 }, (o) => count(o.value, o.data));
import { create } from "@bufbuild/protobuf";
import * as ort from "onnxruntime-node";
import { byteSize } from "../../ir/dtype.ts";
import type { Model } from "../../ir/model.ts";
import { modelToProto } from "../../ir/onnx/export.ts";
import { encodeModel, rebuild, StringStringEntryProtoSchema, TensorProtoSchema, type GraphProto, type ModelProto } from "../../ir/onnx/proto.ts";
import type { NumericArray, Tensor } from "../../ir/tensor.ts";
import type { Value } from "../../ir/value.ts";
import { dtypeOfOrt, toOrtTensor } from "../../ort/tensor-bridge.ts";
import { concreteShapes, feedInputs, fileSamples, generatedSample, withInputShapes, type InputSpec, type Sample } from "./calibration-inputs.ts";

export interface CalibrationOptions {
  /** Input name -> files, one sample per file (.npy or TensorProto .pb). Given: samples/seed are ignored. */
  files?: ReadonlyMap<string, readonly string[]>;
  /** Number of generated samples (default 8). */
  samples?: number;
  /** Seed of the generated samples (default 0). */
  seed?: number;
  /** Sizes for symbolic input dimensions, by input name (`--input-shape`). */
  inputShapes?: ReadonlyMap<string, readonly number[]>;
  /** Values to observe (default: every named output of every node of the main graph). Graph inputs are always observed. */
  values?: readonly Value[];
  /**
   * Most bytes of fetched values per onnxruntime run. Default: max(32 MiB, half the weight bytes),
   * since the weights are resident twice anyway (IR + onnxruntime): weight-heavy models (VGG) run
   * in one pass, activation-heavy ones (ResNet) in chunks. Measured in docs/benchmarks.md.
   */
  chunkBytes?: number;
  /** Called after each sample of each chunk (`total` = chunks x samples). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * One value of one sample. `data` is only valid during the callback (float16 arrives as raw
 * Uint16Array bits). Order: chunk by chunk, every sample within a chunk; graph inputs first.
 */
export interface Observation {
  readonly value: Value;
  readonly sample: number;
  readonly dtype: number;
  readonly dims: readonly number[];
  readonly data: NumericArray;
}

export interface CalibrationSummary { samples: number; chunks: number; runs: number; observedValues: number }

export const DEFAULT_SAMPLES = 8;
export const MIN_CHUNK_BYTES = 32 * 2 ** 20;

/** max(32 MiB, half the bytes of the main graph's initializers). */
export function defaultChunkBytes(model: Model): number {
  let weights = 0;
  for (const v of model.graph.initializers.values()) weights += v.initializer?.byteLength ?? 0;
  return Math.max(MIN_CHUNK_BYTES, weights / 2);
}

/** Adds `values` as graph outputs (name only); returns a function that restores the output list. */
export function exposeValues(model: Model, values: Iterable<Value>): () => void {
  const g = model.graph;
  const before = [...g.outputs];
  const listed = new Set(g.outputs);
  for (const v of values) {
    if (v.name === "" || listed.has(v)) continue;
    g.outputs.push(v);
    listed.add(v);
    // Graph outputs need no type for ORT; a stale source would be re-emitted instead.
    g.outputSources.delete(v);
  }
  return () => { g.outputs.splice(0, g.outputs.length, ...before); };
}

/**
 * An onnxruntime session over `model` with `values` as extra outputs. Initializers of 4 KiB or
 * more are passed as in-memory external data (views of the IR's buffers, no copy on our side).
 * `extend` may add nodes and outputs to the exported graph (the IR model is not touched).
 */
export async function createCalibrationSession(model: Model, values: Iterable<Value>, extend?: (graph: GraphProto) => void): Promise<ort.InferenceSession> {
  const restore = exposeValues(model, values);
  const buffers = new Map<ArrayBufferLike, string>();
  const entry = (key: string, value: string) => create(StringStringEntryProtoSchema, { key, value });
  let proto: ModelProto;
  try {
    proto = modelToProto(model, {
      mapInitializer: (tensor: Tensor, proto) => {
        if (tensor.byteLength < 4096) return tensor.external ? rebuild(TensorProtoSchema, proto, { dataLocation: 0, externalData: [], rawData: tensor.bytes() as Uint8Array<ArrayBuffer> }) : proto;
        const view = tensor.bytes();
        let location = buffers.get(view.buffer);
        if (!location) buffers.set(view.buffer, (location = `sparoa-calibration-${buffers.size}.bin`));
        return rebuild(TensorProtoSchema, proto, {
          rawData: new Uint8Array(0), dataLocation: 1,
          externalData: [entry("location", location), entry("offset", String(view.byteOffset)), entry("length", String(view.byteLength))],
        });
      },
    });
  } finally {
    restore();
  }
  extend?.(proto.graph!);
  const bytes = encodeModel(proto);
  const externalData = [...buffers].map(([buffer, path]) => ({ path, data: new Uint8Array(buffer as ArrayBuffer) }));
  // No arena when values are fetched: it would keep the peak of every run resident (with `extend`
  // only scalars come out, and the arena saves an allocation per node). Optimisations off: the
  // values we observe are those of the graph as written, not of fused kernels.
  return ort.InferenceSession.create(bytes, { logSeverityLevel: 3, graphOptimizationLevel: "disabled", enableCpuMemArena: extend !== undefined, externalData });
}

/** The samples a calibration will feed: user files, or generated ones. */
export function calibrationSamples(model: Model, options: Pick<CalibrationOptions, "files" | "samples" | "seed" | "inputShapes">): { specs: InputSpec[]; count: number; sample: (k: number) => Sample } {
  const specs = withInputShapes(feedInputs(model), options.inputShapes ?? new Map());
  if (options.files && options.files.size > 0) {
    const samples = fileSamples(specs, options.files);
    return { specs, count: samples.length, sample: (k) => samples[k]! };
  }
  const shapes = concreteShapes(specs);
  const seed = options.seed ?? 0;
  return { specs, count: options.samples ?? DEFAULT_SAMPLES, sample: (k) => generatedSample(specs, shapes, seed, k) };
}

/** Runs the model over the calibration samples and calls `observe` for every input and value of every sample. */
export async function calibrate(model: Model, options: CalibrationOptions, observe: (o: Observation) => void): Promise<CalibrationSummary> {
  const { specs, count, sample } = calibrationSamples(model, options);
  const wanted = options.values ?? [...model.graph.nodes].flatMap((n) => n.outputs).filter((v) => v.name !== "");
  const fed = new Set(specs.map((s) => s.value));
  const byName = new Map<string, Value>();
  for (const v of wanted) if (!fed.has(v) && !v.initializer) byName.set(v.name, v);
  // Sizes from the IR's shapes when it knows them all; otherwise a first session with every value
  // exposed tells them (and, when they fit one run, does the work).
  const symbols = count > 0 ? symbolSizes(specs, sample(0)) : new Map<string, number>();
  let sizes = irSizes(byName, symbols);
  let probe: ort.InferenceSession | undefined;
  if (!sizes) {
    probe = await createCalibrationSession(model, byName.values());
    sizes = ortSizes(probe, byName, symbols);
  }
  const chunks = chunkBySize(sizes, options.chunkBytes ?? defaultChunkBytes(model));
  if (probe && chunks.length > 1) {
    await probe.release();
    probe = undefined;
  }
  let runs = 0;
  for (let c = 0; c < chunks.length || (c === 0 && count > 0); c++) {
    const chunk = chunks[c] ?? [];
    // One session per chunk: onnxruntime keeps every graph output of a run alive until the run
    // ends, fetched or not, so only a session exposing just this chunk bounds the memory.
    const session = probe ?? await createCalibrationSession(model, chunk.map((n) => byName.get(n)!));
    try {
      for (let k = 0; k < count; k++) {
        const feeds = sampleFeeds(specs, sample(k), k, c === 0 ? observe : undefined);
        if (chunk.length > 0) {
          const out = await session.run(feeds, chunk);
          runs++;
          for (const name of chunk) {
            const t = out[name] as ort.Tensor;
            if (!ArrayBuffer.isView(t.data)) continue; // string tensors carry no zeros to count
            observe({ value: byName.get(name)!, sample: k, dtype: dtypeOfOrt(t.type), dims: t.dims.map(Number), data: t.data as NumericArray });
            t.dispose();
          }
        }
        options.onProgress?.(c * count + k + 1, Math.max(1, chunks.length) * count);
      }
    } finally {
      await session.release();
    }
  }
  return { samples: count, chunks: chunks.length, runs, observedValues: byName.size };
}

/** One sample as onnxruntime feeds; each input also goes to `observe` when given. */
export function sampleFeeds(specs: readonly InputSpec[], inputs: Sample, k: number, observe?: (o: Observation) => void): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const s of specs) {
    const t = inputs.get(s.name)!;
    feeds[s.name] = toOrtTensor(t);
    observe?.({ value: s.value, sample: k, dtype: t.dtype, dims: t.dims, data: feeds[s.name]!.data as NumericArray });
  }
  return feeds;
}

interface ValueSize { name: string; bytes: number | undefined }

/** Sizes of symbolic input dimensions in a sample (e.g. batch=1). */
function symbolSizes(specs: readonly InputSpec[], inputs: Sample): Map<string, number> {
  const symbols = new Map<string, number>();
  for (const s of specs) s.declared?.forEach((d, axis) => { if (typeof d === "string") symbols.set(d, inputs.get(s.name)!.dims[axis]!); });
  return symbols;
}

function byteCount(elemType: number, shape: readonly (number | string | null)[], symbols: ReadonlyMap<string, number>): number | undefined {
  let elements = 1;
  for (const d of shape) {
    const n = typeof d === "number" && d >= 0 ? d : typeof d === "string" ? symbols.get(d) : undefined;
    if (n === undefined) return undefined;
    elements *= n;
  }
  return byteSize(elemType, elements) || elements * 4; // strings: counted as 4 bytes each
}

/** Sizes from the IR's types, in graph order; undefined when some value's size is not known there. */
function irSizes(byName: ReadonlyMap<string, Value>, symbols: ReadonlyMap<string, number>): ValueSize[] | undefined {
  const sizes: ValueSize[] = [];
  for (const [name, v] of byName) {
    const type = v.type;
    if (type && type.kind !== "tensor" && type.kind !== "unknown") continue; // sequences, maps: not fetched
    const bytes = type?.kind === "tensor" && type.shape ? byteCount(type.elemType, type.shape, symbols) : undefined;
    if (bytes === undefined) return undefined;
    sizes.push({ name, bytes });
  }
  return sizes;
}

/** Sizes from onnxruntime's inferred output shapes, in graph order; non-tensor outputs left out. */
function ortSizes(session: ort.InferenceSession, byName: ReadonlyMap<string, Value>, symbols: ReadonlyMap<string, number>): ValueSize[] {
  const metadata = new Map(session.outputMetadata.map((m) => [m.name, m] as const));
  const sizes: ValueSize[] = [];
  for (const name of byName.keys()) { // graph order, so a chunk's nodes come before the next chunk's
    const meta = metadata.get(name);
    if (!meta?.isTensor) continue;
    let dtype: number | undefined;
    try { dtype = dtypeOfOrt(meta.type); } catch { dtype = undefined; }
    sizes.push({ name, bytes: dtype === undefined ? undefined : byteCount(dtype, meta.shape.map((d) => (typeof d === "number" || typeof d === "string" ? d : null)), symbols) });
  }
  return sizes;
}

/** Runs of at most `budget` bytes in graph order; a size still unknown counts as the largest known one. */
function chunkBySize(sizes: readonly ValueSize[], budget: number): string[][] {
  // A loop, not Math.max(...sizes): spreading 100,000+ arguments overflows the stack.
  let largest = 0;
  for (const s of sizes) largest = Math.max(largest, s.bytes ?? 0);
  const chunks: string[][] = [];
  let current: string[] = [];
  let used = 0;
  for (const s of sizes) {
    const bytes = s.bytes ?? largest;
    if (current.length > 0 && used + bytes > budget) {
      chunks.push(current);
      current = [];
      used = 0;
    }
    current.push(s.name);
    used += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
