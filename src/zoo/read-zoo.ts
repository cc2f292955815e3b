// Reading a zoo folder back (for trainers and benchmarks): zoo.json checked for its format and
// every listed model file present, with one-line errors naming the file or field.
import { SparoaError } from "../../ir/sparoa-error.ts";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ZooEntry, ZooManifest } from "./write-zoo.ts";

export class ZooError extends SparoaError {}

export interface ZooModelRef { path: string; entry: ZooEntry }

export function readZoo(dir: string): { manifest: ZooManifest; models: ZooModelRef[] } {
  const file = join(dir, "zoo.json");
  if (!existsSync(file)) throw new ZooError(`${dir}: no zoo.json (write a zoo with 'sparoa zoo -o ${dir}')`);
  let manifest: ZooManifest;
  try {
    manifest = JSON.parse(readFileSync(file, "utf8")) as ZooManifest;
  } catch (e) {
    throw new ZooError(`${file}: not JSON (${(e as Error).message})`);
  }
  if (manifest.format !== "sparoa-zoo" || manifest.version !== 1) throw new ZooError(`${file}: format '${String(manifest.format)}' version ${String(manifest.version)}; expected sparoa-zoo version 1`);
  if (!Array.isArray(manifest.models) || manifest.models.length === 0) throw new ZooError(`${file}: lists no models`);
  const root = resolve(dir);
  const models = manifest.models.map((entry, i) => {
    // A file name only: zoo.json never points outside its folder.
    if (typeof entry.file !== "string" || !/^[\w.-]+\.onnx$/.test(entry.file)) throw new ZooError(`${file}: models[${i}].file must be a plain .onnx file name (got ${JSON.stringify(entry.file)})`);
    const path = join(root, entry.file);
    if (!existsSync(path)) throw new ZooError(`${file}: models[${i}] '${entry.file}' is missing from ${dir}`);
    return { path, entry };
  });
  return { manifest, models };
}
