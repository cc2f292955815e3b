#!/usr/bin/env node
// The `sparoa` launcher: the compiled JavaScript in dist/ when it is up to date with the
// sources (built by `npm install` / `npm run build`), else the TypeScript sources through tsx, so
// an edit is never run stale. `SPAROA_TSX=1` forces the sources.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DIST, ROOT, distIsFresh } from "./dist-state.mjs";

if (!process.env.SPAROA_TSX && distIsFresh()) {
  await import(pathToFileURL(join(DIST, "src", "cli", "main.js")).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(join(ROOT, "src", "cli", "main.ts")).href);
}
