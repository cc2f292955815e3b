// Writing an output folder all at once: everything goes into a temporary sibling folder that
// is renamed into place, so a failure leaves no partial package. An existing folder is only
// replaced when it is empty or an earlier sparoa package (it has a manifest.json); the input
// model is never inside what gets replaced.
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { OutputError } from "../io/output.ts";
import { MANIFEST_FILE } from "./emit.ts";
import { assertFolderMayBeReplaced } from "../../ir/onnx/file-guard.ts";

/** Refuses output folders that are, or contain, the input model, and folders that hold other things. */
export function assertOutputDirUsable(outDir: string, inputModel: string): void {
  const out = resolve(outDir);
  const input = resolve(inputModel);
  if (out === input) throw new OutputError(`${outDir}: output path is the input model; choose another path (sparoa never modifies its input)`);
  const rel = relative(out, input);
  if (rel !== "" && !rel.startsWith("..") && !rel.startsWith(sep)) {
    throw new OutputError(`${outDir}: the input model ${inputModel} is inside the output folder; choose a folder that does not hold it`);
  }
  assertFolderMayBeReplaced(outDir);
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new OutputError(`${outDir}: exists and is not a folder; choose a new folder name`);
    const entries = readdirSync(out);
    if (entries.length > 0 && !entries.includes(MANIFEST_FILE)) {
      throw new OutputError(`${outDir}: exists and is not a sparoa package (no ${MANIFEST_FILE}); choose an empty or new folder`);
    }
  }
}

/** A fresh temporary folder beside `out`, to fill and then commit (or remove). */
export function stageFolder(out: string): string {
  const full = resolve(out);
  try {
    mkdirSync(dirname(full), { recursive: true });
    const stage = mkdtempSync(join(dirname(full), `.sparoa-tmp-${basename(full)}-`));
    chmodSync(stage, 0o777 & ~process.umask()); // mkdtemp makes it private; the package is an ordinary folder
    return stage;
  } catch (e) {
    throw new OutputError(`${out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Writes relative path -> bytes (or a list of chunks, written one after another) under `dir`. */
export function writeFiles(dir: string, files: ReadonlyMap<string, Uint8Array | Uint8Array[] | string>): void {
  for (const [rel, data] of files) {
    const file = join(dir, rel);
    mkdirSync(dirname(file), { recursive: true });
    if (!Array.isArray(data)) { writeFileSync(file, data); continue; }
    const fd = openSync(file, "w");
    try {
      for (const chunk of data) for (let done = 0; done < chunk.length;) done += writeSync(fd, chunk, done);
    } finally {
      closeSync(fd);
    }
  }
}

/** Renames the staged folder into place, replacing an earlier package. */
export function commitFolder(stage: string, out: string): void {
  const full = resolve(out);
  const old = `${stage}-old`;
  assertFolderMayBeReplaced(out);
  try {
    if (existsSync(full)) renameSync(full, old);
    renameSync(stage, full);
    rmSync(old, { recursive: true, force: true });
  } catch (e) {
    if (existsSync(old) && !existsSync(full)) renameSync(old, full);
    throw new OutputError(`${out}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Writes `files` (relative path -> bytes) as the folder `outDir`, atomically. */
export function writeFolderAtomic(outDir: string, files: ReadonlyMap<string, Uint8Array | Uint8Array[] | string>): void {
  const stage = stageFolder(outDir);
  try {
    writeFiles(stage, files);
    commitFolder(stage, outDir);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
