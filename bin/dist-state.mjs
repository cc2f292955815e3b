// Where the compiled CLI lives and whether it is up to date with the sources: shared by the
// `sparoa` launcher (bin/sparoa.js) and the build (bin/build.mjs).
import { readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DIST = join(ROOT, "dist");
/** Written last by the build: its time is when the compiled tree was complete. */
export const STAMP = join(DIST, ".built");
export const SOURCE_DIRS = ["ir", "ort", "passes", "src"];

/** The newest modification time of any file under the source folders (a few ms for ~300 files). */
export function newestSourceMs() {
  let newest = 0;
  for (const dir of SOURCE_DIRS) {
    for (const entry of readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/** True when dist/ was built after the last change to any source file. */
export function distIsFresh() {
  try {
    return statSync(STAMP).mtimeMs >= newestSourceMs();
  } catch {
    return false;
  }
}
