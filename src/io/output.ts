// Writing results: to a temporary file renamed into place, so a failure leaves no partial output.
// Shared by the commands and the library (traces, reports, packages): nothing here knows the CLI.
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { SparoaError } from "../../ir/sparoa-error.ts";
import { assertMayWrite } from "../../ir/onnx/file-guard.ts";

/** An output path that cannot be written (or must not be: the input model), named in the message. */
export class OutputError extends SparoaError {}

export function writeAtomic(path: string, data: string | Uint8Array): void {
  assertMayWrite(path);
  const full = resolve(path);
  const tmp = join(dirname(full), `.sparoa-tmp-${process.pid}-${basename(full)}`);
  try {
    // Missing folders above an output are made (prepareOutputPath checked they can be).
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, full);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new OutputError(`${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Refuses to write over the input model (before it is read; the guard catches links and external data later). */
export function assertNotInput(input: string, output: string): void {
  if (resolve(input) === resolve(output)) throw new OutputError(`${output}: output path is the input model; choose another path (sparoa never modifies its input)`);
}

/**
 * Called before any work for each output path a command was given (`-o`, `--svg`, `--trace`):
 * the folders above it that are missing will be made when the output is written, so this only
 * checks that they can be (the nearest existing one is a writable folder) and fails now, naming
 * the path, rather than after minutes of analysis. Nothing is created here, so a command that
 * fails later leaves no empty folder behind. `isFolder`: the path itself is an output folder.
 */
export function prepareOutputPath(path: string | undefined, flag: string, isFolder = false): void {
  if (path === undefined) return;
  let dir = isFolder ? resolve(path) : dirname(resolve(path));
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const fail = (why: string) => new OutputError(`${flag} ${path}: cannot write there (${why})`);
  if (!statSync(dir).isDirectory()) throw fail(`${dir} is a file, not a folder`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw fail(`${dir} is not writable`);
  }
}
