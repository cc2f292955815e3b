// The input guard: a command never writes over the files it read its model from (the .onnx and
// its external data files), whatever spelling, symlink or hard link leads there. Files are
// compared by real path and by device + inode, so `./m.onnx`, `dir/../m.onnx`, a symlink to
// it and a hard link of it are all the same file.
//
// The registry is armed by the command line (a library caller may re-save a model in place on
// purpose); `loadModel` records what it read, and every writer (saveModel, the CLI's atomic
// writes, package folders, --dump-dir) asks `assertMayWrite` / `assertFolderMayBeReplaced`.
import { SparoaError } from "../sparoa-error.ts";
import { lstatSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, relative, resolve, isAbsolute, sep } from "node:path";

/** A write that would replace or alias an input; the message names both paths. */
export class OutputGuardError extends SparoaError {}

interface Guarded { path: string; real: string; dev: number; ino: number }

let armed = false;
const guarded: Guarded[] = [];

/** Turns the guard on for this process (the CLI does, at start). */
export function armInputGuard(): void {
  armed = true;
}

/** Forgets every recorded input and disarms (in-process runners between cases). */
export function resetInputGuard(): void {
  armed = false;
  guarded.length = 0;
}

/** Records `path` (a file; ignored when missing) as an input never to be written. */
export function protectInput(path: string): void {
  if (!armed) return;
  try {
    const st = statSync(path);
    if (!st.isFile()) return;
    const real = realpathSync(path);
    if (!guarded.some((g) => g.dev === st.dev && g.ino === st.ino)) guarded.push({ path, real, dev: st.dev, ino: st.ino });
  } catch {
    // An input that cannot be stat-ed cannot be overwritten through this path either.
  }
}

/** Files recorded so far (for tests and the fuzz runner). */
export function protectedInputs(): readonly string[] {
  return guarded.map((g) => g.real);
}

/** The real path `path` would have: its own when it exists, else its folder's plus its name. */
function realTarget(path: string): string {
  const full = resolve(path);
  try {
    return realpathSync(full);
  } catch {
    try {
      return resolve(realpathSync(dirname(full)), basename(full));
    } catch {
      return full;
    }
  }
}

/** Refuses to write `path` when it is, links to, or shares an inode with an input file. */
export function assertMayWrite(path: string, what = "output"): void {
  if (guarded.length === 0) return;
  const real = realTarget(path);
  let hit = guarded.find((g) => g.real === real);
  if (!hit) {
    try {
      lstatSync(path); // exists (possibly as a dangling link)
      const st = statSync(path);
      hit = guarded.find((g) => g.dev === st.dev && g.ino === st.ino);
    } catch {
      // Does not exist yet: it cannot be an input.
    }
  }
  if (hit) {
    const same = hit.real === resolve(hit.path) && resolve(path) === hit.real ? "" : ` (the same file as ${hit.path})`;
    throw new OutputGuardError(`${path}: the ${what} would overwrite an input file${same}; sparoa never modifies its input, choose another path`);
  }
}

/** Refuses to replace (or write inside) the folder `dir` when it holds an input file. */
export function assertFolderMayBeReplaced(dir: string, what = "output folder"): void {
  assertMayWrite(dir, what);
  if (guarded.length === 0) return;
  const real = realTarget(dir);
  for (const g of guarded) {
    const rel = relative(real, g.real);
    if (rel !== "" && !rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel)) {
      throw new OutputGuardError(`${dir}: the ${what} holds the input file ${g.path}; choose a folder that does not hold it (sparoa never modifies its input)`);
    }
  }
}
