// Writing an output folder all at once: everything goes into a temporary sibling folder that
// is renamed into place, so a failure leaves no partial package. An existing folder is only
// replaced when it is empty or an earlier sparoa package (it has a manifest.json); the input
// model is never inside what gets replaced.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { CliError } from "../cli/errors.ts";
import { MANIFEST_FILE } from "./emit.ts";

/** Refuses output folders that are, or contain, the input model. */
export function assertOutputDirUsable(outDir: string, inputModel: string): void {
  const out = resolve(outDir);
  const input = resolve(inputModel);
  if (out === input) throw new CliError(`${outDir}: output path is the input model; choose another path (sparoa never modifies its input)`);
  const rel = relative(out, input);
  if (rel !== "" && !rel.startsWith("..") && !rel.startsWith(sep) && !rel.includes(`..${sep}`)) {
    throw new CliError(`${outDir}: the input model ${inputModel} is inside the output folder; choose a folder that does not hold it`);
  }
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new CliError(`${outDir}: exists and is not a folder; choose a new folder name`);
    const entries = readdirSync(out);
    if (entries.length > 0 && !entries.includes(MANIFEST_FILE)) {
      throw new CliError(`${outDir}: exists and is not a sparoa package (no ${MANIFEST_FILE}); choose an empty or new folder`);
    }
  }
}

/** Writes `files` (relative path -> bytes) as the folder `outDir`, atomically. */
export function writeFolderAtomic(outDir: string, files: ReadonlyMap<string, Uint8Array | string>): void {
  const out = resolve(outDir);
  const parent = dirname(out);
  const tmp = join(parent, `.sparoa-tmp-${process.pid}-${basename(out)}`);
  const old = join(parent, `.sparoa-old-${process.pid}-${basename(out)}`);
  try {
    mkdirSync(parent, { recursive: true });
    rmSync(tmp, { recursive: true, force: true });
    for (const [rel, data] of files) {
      const file = join(tmp, rel);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, data);
    }
    if (existsSync(out)) renameSync(out, old);
    renameSync(tmp, out);
    rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(old) && !existsSync(out)) renameSync(old, out);
    throw new CliError(`${outDir}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
