// The pass manager's bookkeeping at scale: shape-inference, cost and weight-sparsity over a chain
// of N nodes (test/support/chain-model.ts), run by the PassManager (requirements, the analysis
// cache, the before/after comparison of each analysis's annotations that makes `changed` cover
// them) against the anchor of the same three passes' run() called directly on the same model.
// Medians of several runs; the ratio is the manager's cost.
//   node --import tsx bench/pass-manager.ts [nodes=100000] [runs=5]
import { cpus, loadavg } from "node:os";
import { registerBuiltinPasses } from "../passes/builtin-passes.ts";
import { costPass } from "../passes/cost.ts";
import { PassManager } from "../passes/manager.ts";
import { PassContext } from "../passes/pass.ts";
import { shapeInferencePass } from "../passes/shape-inference.ts";
import { weightSparsityPass } from "../passes/weight-sparsity.ts";
import { chainModel } from "../test/support/chain-model.ts";

registerBuiltinPasses();
const nodes = Number(process.argv[2] ?? 100_000);
const runs = Number(process.argv[3] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const passes = () => [shapeInferencePass({}), costPass(), weightSparsityPass()];

async function timed(f: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const c = process.cpuUsage();
  const t = performance.now();
  await f();
  const u = process.cpuUsage(c);
  return { wall: performance.now() - t, cpu: (u.user + u.system) / 1000 };
}

console.log(`pass-manager bench: ${new Date().toISOString()}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}; ${nodes} nodes, ${runs} runs`);
const direct: { wall: number; cpu: number }[] = [];
const managed: { wall: number; cpu: number }[] = [];
for (let r = 0; r < runs; r++) {
  const a = chainModel(nodes);
  direct.push(await timed(async () => { for (const p of passes()) await p.run(a, new PassContext()); }));
  const b = chainModel(nodes);
  managed.push(await timed(() => new PassManager(passes()).run(b)));
}
const row = (name: string, xs: { wall: number; cpu: number }[]) => `${name.padEnd(22)} wall ${median(xs.map((x) => x.wall)).toFixed(0).padStart(6)} ms   cpu ${median(xs.map((x) => x.cpu)).toFixed(0).padStart(6)} ms`;
console.log(row("passes called directly", direct));
console.log(row("through the manager", managed));
console.log(`manager / direct: wall ${(median(managed.map((x) => x.wall)) / median(direct.map((x) => x.wall))).toFixed(3)}, cpu ${(median(managed.map((x) => x.cpu)) / median(direct.map((x) => x.cpu))).toFixed(3)}`);
