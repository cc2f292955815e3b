// Calibration runs: execute a model with onnxruntime on calibration samples and hand every
// intermediate value of every sample to a callback, one at a time, so callers reduce on the fly
// (zero counts, observed shapes) and nothing holds all intermediates of all samples.
//
// How: the wanted values become outputs of the exported graph (onnxruntime only returns graph
// outputs), and the weights reach onnxruntime as in-memory "external data" pointing into the
// buffers the IR already holds, so the exported model is small and not a second copy of the
// weights. The graph runs in segments (segments.ts): each a sub-model of at most `segmentNodes`
// nodes whose fetched values take at most `chunkBytes` per sample, fed with the previous
// segments' boundary values, so session creation stays linear in the graph and a run holds only
// its own segment's values.
//
// Use:
//   const summary = await calibrate(model, { samples: 8, seed: 0 }, (o) => count(o.value, o.data));
import { create } from "@bufbuild/protobuf";
import type * as ort from "onnxruntime-node";
import { openSession } from "../../ort/session.mjs";
import { byteSize } from "../../ir/dtype.ts";
import type { Model } from "../../ir/model.ts";
import { modelToProto } from "../../ir/onnx/export.ts";
import { encodeModel, rebuild, StringStringEntryProtoSchema, TensorProtoSchema, type GraphProto, type ModelProto } from "../../ir/onnx/proto.ts";
import type { NumericArray, Tensor } from "../../ir/tensor.ts";
import type { Value } from "../../ir/value.ts";
import { dtypeOfOrt, toOrtTensor } from "../../ort/tensor-bridge.ts";
import { planSegments, runSegments } from "./segments.ts";
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
   * Most bytes of fetched values per onnxruntime run (segment). Default: max(32 MiB, half the
   * weight bytes), since the weights are resident twice anyway (IR + onnxruntime): weight-heavy
   * models (VGG) run in one segment, activation-heavy ones (ResNet) in several.
   */
  chunkBytes?: number;
  /** Most nodes per segment (default SEGMENT_NODES). */
  segmentNodes?: number;
  /** Called after each sample is through each segment (`total` = segments x samples). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * One value of one sample. `data` is only valid during the callback (float16 arrives as raw
 * Uint16Array bits). Order: sample by sample; within a sample its graph inputs, then the values in
 * graph order, segment by segment.
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
/**
 * Nodes per calibration segment. Session creation and runs cost more than linearly in the
 * outputs a session exposes; on a 20,000-node chain (8 samples) segments of 200 / 500 / 1,000 /
 * 2,000 / 5,000 / 20,000 nodes took 6.9 / 5.2 / 5.1 / 6.4 / 11.6 / 27.2 s of CPU (issue 14).
 */
export const SEGMENT_NODES = 1000;

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

/** A model exported for calibration: its proto and the in-memory external data its weights point into. */
export interface CalibrationExport { proto: ModelProto; externalData: { path: string; data: Uint8Array }[] }

/**
 * Exports `model` with `values` as extra outputs. Initializers of 4 KiB or more become in-memory
 * external data (views of the IR's buffers, no copy on our side). `extend` may add nodes and
 * outputs to the exported graph (the IR model is not touched).
 */
export function exportForCalibration(model: Model, values: Iterable<Value>, extend?: (graph: GraphProto) => void): CalibrationExport {
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
  return { proto, externalData: [...buffers].map(([buffer, path]) => ({ path, data: new Uint8Array(buffer as ArrayBuffer) })) };
}

/**
 * The one place calibration creates onnxruntime sessions. Optimisations off: the values observed
 * are those of the graph as written, not of fused kernels. `arena`: onnxruntime's memory arena
 * keeps the peak of every run resident, so it is only on when a run fetches scalars.
 */
export function openCalibrationSession(bytes: Uint8Array, externalData: CalibrationExport["externalData"], arena: boolean): Promise<ort.InferenceSession> {
  // No spinning: a calibration run is mostly small kernels (the counters), between which
  // onnxruntime's idle workers would spin; that was a third of the pass's CPU on a ViT-Ti.
  const extra = { session: { intra_op: { allow_spinning: "0" } } };
  return openSession({ bytes, externalData }, { logSeverityLevel: 3, graphOptimizationLevel: "disabled", enableCpuMemArena: arena, extra });
}

/** An onnxruntime session over the whole of `model` with `values` as extra outputs (see exportForCalibration). */
export async function createCalibrationSession(model: Model, values: Iterable<Value>, extend?: (graph: GraphProto) => void): Promise<ort.InferenceSession> {
  const { proto, externalData } = exportForCalibration(model, values, extend);
  return openCalibrationSession(encodeModel(proto), externalData, extend !== undefined);
}

/** The ONNX element type of an onnxruntime tensor. */
export function elemTypeOf(t: ort.Tensor): number {
  return dtypeOfOrt(t.type);
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
  const wanted = options.values ?? [...model.graph.nodes].flatMap((n) => n.outputs);
  const fed = new Set(specs.map((s) => s.value));
  const byName = new Map<string, Value>();
  for (const v of wanted) {
    // Sequences and maps are not fetched (the binding returns tensors only).
    if (v.name === "" || fed.has(v) || v.initializer || (v.type && v.type.kind !== "tensor" && v.type.kind !== "unknown")) continue;
    byName.set(v.name, v);
  }
  const bytes = fetchedBytes(byName, count > 0 ? symbolSizes(specs, sample(0)) : new Map());
  const { proto, externalData } = exportForCalibration(model, []);
  const segments = planSegments(proto.graph!, new Set(byName.keys()), {
    maxNodes: options.segmentNodes ?? SEGMENT_NODES,
    maxFetchBytes: options.chunkBytes ?? defaultChunkBytes(model),
    fetchBytes: (node) => node.output.reduce((sum, o) => sum + (bytes.get(o) ?? 0), 0),
    canCross: crossable(model),
  });
  const runs = await runSegments(proto, segments, {
    samples: count,
    feeds: (k) => sampleFeeds(specs, sample(k), k, observe),
    elemType: elemTypeOf,
    open: (bytes) => openCalibrationSession(bytes, externalData, false),
    onOutput: (name, t, k) => {
      if (!ArrayBuffer.isView(t.data)) return; // string tensors carry no zeros to count
      observe({ value: byName.get(name)!, sample: k, dtype: elemTypeOf(t), dims: t.dims.map(Number), data: t.data as NumericArray });
    },
    onProgress: options.onProgress,
  });
  return { samples: count, chunks: segments.length, runs, observedValues: byName.size };
}

/**
 * Which values may cross a segment cut: tensors. A value of unknown type crosses unless an op
 * that can make sequences or optionals made it (those cannot be fetched and fed back).
 */
export function crossable(model: Model): (name: string) => boolean {
  const made = new Map<string, { value: Value; opType: string; subgraphs: boolean }>();
  for (const n of model.graph.nodes) for (const v of n.outputs) made.set(v.name, { value: v, opType: n.opType, subgraphs: n.subgraphs().length > 0 });
  return (name) => {
    const m = made.get(name);
    if (!m) return true; // helper values added to the exported graph: tensors
    const kind = m.value.type?.kind ?? "unknown";
    if (kind !== "unknown") return kind === "tensor";
    return !m.subgraphs && !/Sequence|Optional/.test(m.opType);
  };
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

/** Bytes of each fetched value for one sample, from the IR's types; a size not known there counts as the largest known one. */
function fetchedBytes(byName: ReadonlyMap<string, Value>, symbols: ReadonlyMap<string, number>): Map<string, number> {
  const sizes = new Map<string, number | undefined>();
  let largest = 0;
  for (const [name, v] of byName) {
    const bytes = v.type?.kind === "tensor" && v.type.shape ? byteCount(v.type.elemType, v.type.shape, symbols) : undefined;
    sizes.set(name, bytes);
    largest = Math.max(largest, bytes ?? 0);
  }
  return new Map([...sizes].map(([name, bytes]) => [name, bytes ?? largest]));
}
