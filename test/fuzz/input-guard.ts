// The input guard of the tests and the fuzz runner: size, modification time and a hash of each
// input file (the model and its external data) recorded before a command and compared after.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";

export interface InputSnapshot { path: string; size: number; mtimeMs: number; sha: string }

function snap(path: string): InputSnapshot | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile()) return undefined;
    return { path, size: st.size, mtimeMs: st.mtimeMs, sha: createHash("sha256").update(readFileSync(path)).digest("hex") };
  } catch {
    return undefined;
  }
}

/** Snapshots of the files that exist now (regular files only). */
export function snapshotInputs(paths: readonly string[]): InputSnapshot[] {
  return paths.map(snap).filter((s): s is InputSnapshot => s !== undefined);
}

/** One line per input whose size, mtime or contents changed (or that vanished) since `before`. */
export function changedInputs(before: readonly InputSnapshot[]): string[] {
  const changes: string[] = [];
  for (const b of before) {
    const a = snap(b.path);
    if (!a) changes.push(`${b.path}: removed`);
    else if (a.size !== b.size || a.mtimeMs !== b.mtimeMs || a.sha !== b.sha) changes.push(`${b.path}: changed (size ${b.size} -> ${a.size}, mtime ${b.mtimeMs} -> ${a.mtimeMs})`);
  }
  return changes;
}
