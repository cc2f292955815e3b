// Reading and writing .onnx files: external data stays inside the model's folder, writes go
// to a temporary file that is renamed into place, and oversized models spill to a side file.
import { SparoaError } from "../sparoa-error.ts";
import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { FileReadError, readRegularFile } from "../read-file.ts";
import { basename, dirname, join, resolve } from "node:path";
import { create } from "@bufbuild/protobuf";
import type { Model } from "../model.ts";
import type { Tensor } from "../tensor.ts";
import { modelFromProto } from "./import.ts";
import { modelToProto, type ExportOptions } from "./export.ts";
import { chunksLength, encodeModelChunks } from "./chunked-encode.ts";
import { assertMayWrite, protectInput } from "./file-guard.ts";
import { InvalidModelError } from "./tensor-data.ts";
import { StringStringEntryProtoSchema, TensorProtoSchema, decodeModel, encodeModel, rebuild, type TensorProto } from "./proto.ts";

/** Protobuf cannot encode a message of 2 GiB or more. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

export class ModelFileError extends SparoaError {}

export function loadModel(path: string): Model {
  const full = resolve(path);
  const bytes = readModelFile(path, full);
  protectInput(full);
  let proto;
  try {
    proto = decodeModel(bytes);
  } catch (e) {
    throw new ModelFileError(`${path}: not a valid ONNX model (${(e as Error).message})`);
  }
  if (!proto.graph) throw new ModelFileError(`${path}: not an ONNX model (no graph)`);
  try {
    return modelFromProto(proto, { path: full, baseDir: dirname(full) });
  } catch (e) {
    if (e instanceof InvalidModelError) throw new InvalidModelError(`${path}: invalid model: ${e.message}`);
    throw new ModelFileError(`${path}: ${(e as Error).message}`);
  }
}

export interface SaveOptions extends ExportOptions {
  /** Initializers of at least this many bytes go to the external data file; undefined keeps each tensor where it was. */
  externalDataThreshold?: number;
  /** Name of the external data file, in the model's folder (default `<model file>.data`). */
  externalDataFile?: string;
  /** Size past which a model must use external data (tests lower it). */
  sizeLimit?: number;
}

export interface SaveResult { bytes: number; externalFile?: string; externalTensors: number }

/** Reads the .onnx file: regular files only, sized by their stat (ir/read-file.ts). */
function readModelFile(path: string, full: string): Buffer {
  try {
    const st = statSync(full, { throwIfNoEntry: false });
    if (st?.isDirectory()) throw new ModelFileError(`${path}: is a folder, not an .onnx file`);
    return readRegularFile(full, MAX_MODEL_FILE_BYTES, "");
  } catch (e) {
    if (e instanceof FileReadError) throw new ModelFileError(e.message.replace(full, path));
    throw e;
  }
}

/** An .onnx file is one protobuf message (< 2 GiB); anything larger is not a model. */
export const MAX_MODEL_FILE_BYTES = 2 ** 31;

/** Writes `model` to `path` atomically; returns what was written. */
export function saveModel(model: Model, path: string, options: SaveOptions = {}): SaveResult {
  const full = resolve(path);
  const dataName = options.externalDataFile ?? `${basename(full)}.data`;
  if (dataName !== basename(dataName) || dataName === ".." || dataName === "." || dataName.includes("\\")) {
    throw new ModelFileError(`${path}: external data file '${dataName}' must be a plain file name (it is written beside the model)`);
  }
  if (dataName === basename(full)) throw new ModelFileError(`${path}: external data file '${dataName}' is the model file itself; choose another name`);
  assertMayWrite(path, "output model");
  assertMayWrite(join(dirname(full), dataName), "external data file");
  const limit = options.sizeLimit ?? PROTOBUF_LIMIT;
  let threshold = options.externalDataThreshold;
  if (threshold === undefined && initializerBytes(model) > limit * 0.9) threshold = 1024;

  const tmpData = join(dirname(full), `.sparoa-tmp-${process.pid}-${dataName}`);
  // Saving over the side file this model reads from (e.g. re-saving in place): its tensors keep
  // their bytes in memory, because the renamed new file will have other offsets.
  const target = join(dirname(full), dataName);
  const readsTarget = (t: Tensor) => t.external !== undefined && model.path !== undefined && resolve(dirname(model.path), t.external.location) === target;
  for (const g of model.graph.allGraphs()) for (const v of g.initializers.values()) if (readsTarget(v.initializer!)) v.initializer!.pin();
  let dataFd: number | undefined;
  let dataOffset = 0;
  let externalTensors = 0;
  const externalize = (tensor: Tensor, proto: TensorProto): TensorProto => {
    const wantExternal = threshold === undefined ? tensor.external !== undefined : tensor.byteLength >= threshold;
    if (!wantExternal) {
      return tensor.external ? rebuild(TensorProtoSchema, proto, { dataLocation: 0, externalData: [], rawData: tensor.bytes() as Uint8Array<ArrayBuffer> }) : proto;
    }
    dataFd ??= openSync(tmpData, "w");
    const bytes = tensor.bytes();
    const offset = Math.ceil(dataOffset / 4096) * 4096; // page-aligned, so runtimes can mmap
    writeSync(dataFd, bytes, 0, bytes.length, offset);
    tensor.release(); // external bytes need not stay resident once written
    dataOffset = offset + bytes.length;
    externalTensors++;
    const entry = (key: string, value: string) => create(StringStringEntryProtoSchema, { key, value });
    return rebuild(TensorProtoSchema, proto, {
      rawData: new Uint8Array(0), dataLocation: 1,
      externalData: [entry("location", dataName), entry("offset", String(offset)), entry("length", String(bytes.length))],
    });
  };

  const tmpModel = join(dirname(full), `.sparoa-tmp-${process.pid}-${basename(full)}`);
  try {
    // Pieces, not one buffer: the weights are written from where they already are in memory.
    const chunks = encodeModelChunks(modelToProto(model, { ...options, mapInitializer: externalize }));
    const length = chunksLength(chunks);
    if (length > limit) throw new ModelFileError(`${path}: model is ${length} bytes, over the protobuf limit; pass an external data threshold`);
    writeChunks(tmpModel, chunks);
    if (dataFd !== undefined) {
      closeSync(dataFd);
      dataFd = undefined;
      renameSync(tmpData, join(dirname(full), dataName));
    }
    renameSync(tmpModel, full);
    return { bytes: length, externalFile: externalTensors > 0 ? dataName : undefined, externalTensors };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === undefined) throw e;
    throw new ModelFileError(`${path}: cannot write (${code === "ENOENT" ? "no such folder" : code})`);
  } finally {
    if (dataFd !== undefined) closeSync(dataFd);
    for (const f of [tmpData, tmpModel]) if (existsSync(f)) rmSync(f);
  }
}

function initializerBytes(model: Model): number {
  let total = 0;
  for (const g of model.graph.allGraphs()) for (const v of g.initializers.values()) total += v.initializer?.byteLength ?? 0;
  return total;
}

function writeChunks(file: string, chunks: readonly Uint8Array[]): void {
  const fd = openSync(file, "w");
  try {
    for (const c of chunks) for (let done = 0; done < c.length;) done += writeSync(fd, c, done, c.length - done);
  } finally {
    closeSync(fd);
  }
}

/** Model bytes as onnxruntime and other tools would read them (inline data only). */
export function modelBytes(model: Model, options: ExportOptions = {}): Uint8Array {
  return encodeModel(modelToProto(model, options));
}
