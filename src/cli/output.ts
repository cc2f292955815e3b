// Writing results: to a temporary file renamed into place, so a failure leaves no partial output.
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { CliError } from "./errors.ts";
import { assertMayWrite } from "../../ir/onnx/file-guard.ts";

export function writeAtomic(path: string, data: string | Uint8Array): void {
  assertMayWrite(path);
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

/** Refuses to write over the input model (before it is read; the guard catches links and external data later). */
export function assertNotInput(input: string, output: string): void {
  if (resolve(input) === resolve(output)) throw new CliError(`${output}: output path is the input model; choose another path (sparoa never modifies its input)`);
}
