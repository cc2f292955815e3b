// Writing results: to a temporary file renamed into place, so a failure leaves no partial output.
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { CliError } from "./errors.ts";

export function writeAtomic(path: string, data: string | Uint8Array): void {
  const full = resolve(path);
  const tmp = join(dirname(full), `.sparoa-tmp-${process.pid}-${basename(full)}`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, full);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CliError(`${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Refuses to write over the input model. */
export function assertNotInput(input: string, output: string): void {
  if (resolve(input) === resolve(output)) throw new CliError(`${output}: output path is the input model; choose another path (sparoa never modifies its input)`);
}

/**
 * Called before any work for each output path a command was given (`-o`, `--svg`, `--trace`):
 * creates the missing folders above it, or fails now, naming the path, rather than after minutes
 * of analysis. `isFolder`: the path itself is the output folder.
 */
export function prepareOutputPath(path: string | undefined, flag: string, isFolder = false): void {
  if (path === undefined) return;
  const dir = isFolder ? resolve(path) : dirname(resolve(path));
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error("not a folder"), { code: "ENOTDIR" });
  } catch (e) {
    throw new CliError(`${flag} ${path}: cannot create the folder ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
