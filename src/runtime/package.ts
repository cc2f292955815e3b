// Opening what the runtime runs: a package folder (manifest.json + partition models), or a model
// that src/package/from-model.ts turns into a package in memory (a processor-annotated model cut as
// `sparoa optimize` would, a plain model as one partition on the CPU).
import { existsSync, readFileSync, statSync } from "node:fs";
import { readRegularFile } from "../../ir/read-file.ts";
import { isAbsolute, join, relative, resolve } from "node:path";
import { loadModel, modelBytes, type Model } from "../../ir/index.ts";
import type { PackageManifest } from "../package/manifest.ts";
import { packageFromModel } from "../package/from-model.ts";
import { ManifestError, validateManifest } from "../package/validate.ts";
import { WEIGHTS_FILE } from "../package/weights-file.ts";
import type { PartitionModel } from "./messages.ts";

export interface OpenedPackage {
  manifest: PackageManifest;
  /** Partition id -> where its model is. */
  models: Map<number, PartitionModel>;
  /** Where it came from, for messages: "package out/", "annotated model m.onnx", "model m.onnx". */
  origin: string;
  /** The original whole model, when known (the bench compares against it). */
  original?: { path: string } | { bytes: Uint8Array };
}

export async function openPackage(target: string | Model): Promise<OpenedPackage> {
  if (typeof target !== "string") return openModel(target, "in-memory model", { bytes: modelBytes(target) });
  if (!existsSync(target)) throw new ManifestError(`${target}: no such file or folder`);
  if (statSync(target).isDirectory()) return openFolder(target);
  return openModel(loadAlone(target), target, { path: resolve(target) });
}

/**
 * A package's model.annotated.onnx shares the partitions' weights file (partitions/weights.bin)
 * rather than carrying a second copy; copied out of its folder it cannot find them, and the
 * loader's own message would not say why.
 */
export function loadAlone(target: string): Model {
  try {
    return loadModel(target);
  } catch (e) {
    // The loader reports it as a ModelFileError naming the location; the location is the sign.
    if (e instanceof Error && e.message.includes(`external data location 'partitions/${WEIGHTS_FILE}' does not exist`)) {
      throw new ManifestError(`${target}: its weights are in partitions/${WEIGHTS_FILE} of the package it was written in, not beside it; keep it inside its package folder (copy the whole folder), or make a self-contained copy inside the package with 'sparoa convert PKG/model.annotated.onnx -o model.onnx --external-data-threshold 2GB'`);
    }
    throw e;
  }
}

function openFolder(dir: string): OpenedPackage {
  const file = join(dir, "manifest.json");
  if (!existsSync(file)) throw new ManifestError(`${dir}: not a sparoa package (no manifest.json; make one with 'sparoa optimize')`);
  let raw: unknown;
  try {
    raw = JSON.parse(readRegularFile(file, 64 * 2 ** 20, "manifest").toString("utf8"));
  } catch (e) {
    throw new ManifestError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const manifest = validateManifest(raw, file);
  const models = new Map<number, { path: string }>();
  manifest.partitions.forEach((p, i) => {
    const full = resolve(dir, p.file);
    const rel = relative(resolve(dir), full);
    if (isAbsolute(p.file) || rel.startsWith("..")) throw new ManifestError(`${file}: partitions[${i}].file: '${p.file}' is outside the package folder`);
    if (!existsSync(full)) throw new ManifestError(`${file}: partitions[${i}].file: '${p.file}' does not exist`);
    models.set(p.id, { path: full });
  });
  const originalPath = resolve(dir, manifest.source.file);
  const original = !isAbsolute(manifest.source.file) && existsSync(originalPath) ? { path: originalPath } : undefined;
  return { manifest, models, origin: `package ${dir}`, original };
}

async function openModel(model: Model, label: string, source: { path: string } | { bytes: Uint8Array }): Promise<OpenedPackage> {
  const { manifest, models, kind } = await packageFromModel(model, label, source);
  return { manifest, models, origin: `${kind} ${label}`, original: source };
}

export { ManifestError };
