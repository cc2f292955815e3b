// Start-up of the `sparoa` command: `--help` and `inspect fixtures/tiny-cnn.onnx`, each a fresh
// process, medians of --runs (wall and CPU time), beside `node -e 0` (the floor any Node CLI
// pays) in the same run.
// Variants: the compiled launcher (dist/, what `npm install` builds), the same sources through
// tsx (SPAROA_TSX=1), and optionally another checkout's launcher (--before DIR, e.g. a checkout
// of the commit before the lazy command loading) for a before/after in one run.
//
//   npm run build && node --import tsx bench/cli-startup.ts [--runs 9] [--before /path/to/old/checkout]
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../test/support/corpus.ts";

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const runs = Number(flag("runs", "9"));
const before = flag("before", "");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

interface Cost { wall: number; cpu: number }

/** Wall time, and the child's CPU time (user + sys, from /usr/bin/time): steadier under load. */
function time(args: string[], env: Record<string, string> = {}): Cost {
  const t0 = performance.now();
  const r = spawnSync("/usr/bin/time", ["-f", "cpu %U %S", process.execPath, ...args], { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, encoding: "utf8" });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  return { wall, cpu: m ? 1000 * (Number(m[1]) + Number(m[2])) : NaN };
}

const tiny = join(PROJECT_ROOT, "fixtures", "tiny-cnn.onnx");
const variants: [string, string, Record<string, string>][] = [
  ["compiled (dist/)", join(PROJECT_ROOT, "bin", "sparoa.js"), {}],
  ["tsx, lazy commands", join(PROJECT_ROOT, "bin", "sparoa.js"), { SPAROA_TSX: "1" }],
  ...(before ? [["before (tsx, eager)", join(before, "bin", "sparoa.js"), {}] as [string, string, Record<string, string>]] : []),
];
console.log(`cli start-up: ${cpus().length} cores (${cpus()[0]?.model}), node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}; median of ${runs}`);
const rows = new Map<string, { help: Cost[]; inspect: Cost[] }>(variants.map(([n]) => [n, { help: [], inspect: [] }]));
const floor: Cost[] = [];
// Interleaved, so drifting load hits every variant alike.
for (let r = 0; r < runs; r++) {
  floor.push(time(["-e", "0"]));
  for (const [name, bin, env] of variants) {
    rows.get(name)!.help.push(time([bin, "--help"], env));
    rows.get(name)!.inspect.push(time([bin, "inspect", tiny], env));
  }
}
const m = (xs: Cost[], k: keyof Cost) => median(xs.map((x) => x[k])).toFixed(0);
console.log(`node -e 0: ${m(floor, "wall")} ms wall, ${m(floor, "cpu")} ms cpu`);
console.log("variant                 --help wall  --help cpu  inspect wall  inspect cpu   (ms)");
for (const [name, r] of rows) console.log(`${name.padEnd(22)}  ${m(r.help, "wall").padStart(11)}  ${m(r.help, "cpu").padStart(10)}  ${m(r.inspect, "wall").padStart(12)}  ${m(r.inspect, "cpu").padStart(11)}`);
