// `npm run build` (also run by `npm install`/`npm ci` through `prepare`): compiles ir/, passes/
// and src/ to JavaScript in dist/ so `sparoa` starts without compiling TypeScript on every run,
// and copies the files the code reads beside itself (worker .mjs, bundled device profiles, the Triton config schema).
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
// Files that are not TypeScript but are loaded relative to the module that uses them.
for (const f of readdirSync(join(ROOT, "src", "runtime")).filter((n) => n.endsWith(".mjs"))) cpSync(join(ROOT, "src", "runtime", f), join(DIST, "src", "runtime", f));
const profiles = join(ROOT, "src", "devices", "profiles");
if (existsSync(profiles)) cpSync(profiles, join(DIST, "src", "devices", "profiles"), { recursive: true });
for (const f of readdirSync(join(ROOT, "src", "deploy")).filter((n) => n.endsWith(".proto"))) cpSync(join(ROOT, "src", "deploy", f), join(DIST, "src", "deploy", f)); // the Triton config schema
mkdirSync(DIST, { recursive: true });
writeFileSync(STAMP, `${new Date().toISOString()}\n`);
process.stderr.write(`sparoa build: compiled to ${DIST}\n`);
