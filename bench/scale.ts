// Scale: a chain of N nodes (Mul by a weight, Relu, alternating; test/support/chain-model.ts)
// through inspect, convert, optimize --no-calibrate, optimize and analyze (both calibrating on 8
// generated samples, the default), and a model with 100,000 metadata_props through convert, all
// in process (test/support/cli-in-process.ts). Reports wall and CPU seconds and optimize's
// stages; the ratio between sizes shows whether a pass is near-linear (4x the nodes should cost
// about 4x). The issue's aim: 100,000 nodes through optimize in < 20 s.
//   node --import tsx bench/scale.ts [sizes=25000,50000,100000] [runs=1] [commands=inspect,convert,optimize-static,optimize,analyze]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { saveModel } from "../ir/index.ts";
import { decodeModel, encodeModel, StringStringEntryProtoSchema } from "../ir/onnx/proto.ts";
import { FIXTURES } from "../test/support/corpus.ts";
import { runSparoaInProcess } from "../test/support/cli-in-process.ts";
import { chainModel } from "../test/support/chain-model.ts";

const sizes = (process.argv[2] ?? "25000,50000,100000").split(",").map(Number);
const runs = Number(process.argv[3] ?? 1);
const commands = new Set((process.argv[4] ?? "inspect,convert,optimize-static,optimize,analyze").split(","));
const dir = mkdtempSync(join(tmpdir(), "sparoa-bench-scale-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(args: string[]): Promise<{ wall: number; cpu: number; stdout: string }> {
  const c = process.cpuUsage();
  const t = performance.now();
  const r = await runSparoaInProcess(args);
  const u = process.cpuUsage(c);
  if (r.code !== 0) throw new Error(`sparoa ${args.join(" ")}: ${r.stderr}`);
  return { wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6, stdout: r.stdout };
}

console.log(`scale bench: ${new Date().toISOString()}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
try {
  const meta = decodeModel(readFileSync(join(FIXTURES, "two-branch.onnx")));
  for (let i = 0; i < 100_000; i++) meta.metadataProps.push(create(StringStringEntryProtoSchema, { key: `k${i}`, value: `v${i}` }));
  writeFileSync(join(dir, "meta.onnx"), encodeModel(meta));
  const m = await timed(["convert", join(dir, "meta.onnx"), "-o", join(dir, "meta-out.onnx")]);
  console.log(`convert, 100,000 metadata_props: wall ${m.wall.toFixed(2)} s, cpu ${m.cpu.toFixed(2)} s`);

  const rows: string[] = [];
  for (const n of sizes) {
    const file = join(dir, `chain${n}.onnx`);
    saveModel(chainModel(n), file);
    const results: Record<string, { wall: number[]; cpu: number[] }> = {};
    const stages: Record<string, number[]> = {};
    for (let i = 0; i < runs; i++) {
      for (const [name, args] of [
        ["inspect", ["inspect", file, "-o", join(dir, "o.txt")]],
        ["convert", ["convert", file, "-o", join(dir, "o.onnx")]],
        ["optimize-static", ["optimize", file, "-o", join(dir, "pkg"), "--no-calibrate", "--json"]],
        ["optimize", ["optimize", file, "-o", join(dir, "pkg-calibrated"), "--json"]],
        ["analyze", ["analyze", file, "--json"]],
      ] as const) {
        if (!commands.has(name)) continue;
        const r = await timed([...args]);
        (results[name] ??= { wall: [], cpu: [] }).wall.push(r.wall);
        results[name]!.cpu.push(r.cpu);
        if (name.startsWith("optimize")) for (const [k, v] of Object.entries((JSON.parse(r.stdout) as { timingsMs: Record<string, number> }).timingsMs)) (stages[`${name}:${k}`] ??= []).push(v / 1000);
        console.log(`  ${n} nodes, ${name}: wall ${r.wall.toFixed(1)} s, cpu ${r.cpu.toFixed(1)} s, load ${loadavg()[0]!.toFixed(1)}`);
      }
    }
    const row = Object.entries(results).map(([k, v]) => `${k} ${median(v.wall).toFixed(1)} s wall / ${median(v.cpu).toFixed(1)} s cpu`).join("; ");
    rows.push(`${n} nodes: ${row}; optimize stages (s): ${Object.entries(stages).map(([k, v]) => `${k} ${median(v).toFixed(1)}`).join(", ")}`);
    console.log(rows[rows.length - 1]);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
