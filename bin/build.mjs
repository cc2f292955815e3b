// `npm run build` (also run by `npm install`/`npm ci` through `prepare`): compiles ir/, ort/,
// passes/ and src/ to JavaScript in dist/ so `sparoa` starts without compiling TypeScript on every run,
// and copies every other file the code reads beside itself (worker .mjs, bundled profiles and weights, schemas).
// Without the compiler (an install with --omit=dev) it says so and leaves the launcher on tsx.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { DIST, ROOT, STAMP } from "./dist-state.mjs";

let tsc;
try {
  tsc = join(dirname(createRequire(join(ROOT, "package.json")).resolve("typescript/package.json")), "bin", "tsc");
} catch {
  process.stderr.write("sparoa build: typescript is not installed (dev dependencies omitted); `sparoa` will run the TypeScript sources through tsx (slower start)\n");
  process.exit(0);
}

rmSync(DIST, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json")], { stdio: "inherit" });
if (r.status !== 0) {
  rmSync(DIST, { recursive: true, force: true });
  process.stderr.write("sparoa build: tsc failed (above); `sparoa` will run the TypeScript sources through tsx\n");
  process.exit(1);
}
// Files that are not TypeScript but are loaded relative to the module that uses them (worker
// .mjs, bundled device profiles and predictor/scheduler weights, the Triton config schema): every
// non-.ts file under the compiled folders, so a new asset cannot be forgotten here.
const copyAssets = (dir) => {
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const rel = join(dir, entry.name);
    if (entry.isDirectory()) copyAssets(rel);
    else if (!entry.name.endsWith(".ts") && !entry.name.endsWith(".md")) cpSync(join(ROOT, rel), join(DIST, rel));
  }
};
for (const dir of ["ir", "ort", "passes", "src"]) if (existsSync(join(ROOT, dir))) copyAssets(dir);
mkdirSync(DIST, { recursive: true });
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
process.stderr.write(`sparoa build: compiled to ${DIST}\n`);
