// Reading a user-named file whole: regular files only (no /dev/zero, FIFOs, folders), sized by
// its stat before anything is allocated, and under a limit the caller names.
import { SparoaError } from "./sparoa-error.ts";
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from "node:fs";

/** The file cannot be read as asked; the message names it and why. */
export class FileReadError extends SparoaError {}

/** Reads `path` (a regular file of at most `maxBytes`); `what` names it in errors ("device profile"; "" for none). */
export function readRegularFile(path: string, maxBytes: number, what = "file"): Buffer {
  const refuse = (why: string) => new FileReadError(`${path}: cannot read${what ? ` ${what}` : ""} (${why})`);
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw refuse("is a folder");
    if (!st.isFile()) throw refuse("not a regular file; only files are read");
    // Non-blocking, so a file swapped for a FIFO after the stat cannot hang the open.
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const fst = fstatSync(fd);
      if (!fst.isFile()) throw refuse("not a regular file; only files are read");
      if (fst.size > maxBytes) throw refuse(`${fst.size} bytes, over the limit of ${maxBytes} bytes`);
      const buf = Buffer.allocUnsafe(fst.size);
      let got = 0;
      while (got < fst.size) {
        const n = readSync(fd, buf, got, fst.size - got, got);
        if (n === 0) break;
        got += n;
      }
      return got === fst.size ? buf : buf.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if (e instanceof FileReadError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw refuse(code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code ?? (e as Error).message);
  }
}
