// `sparoa run` and `sparoa bench` end to end, as a user runs them: files in, files out, one-line
// errors with nothing half-written, and Ctrl-C leaving no process behind.
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { npyBytes, readNpy } from "../../src/io/npy.ts";
import { toOrtTensor, fromOrtTensor } from "../../ort/tensor-bridge.ts";
import { generateFeeds } from "../../src/runtime/generate-inputs.ts";
import { FIXTURES, PROJECT_ROOT } from "../support/corpus.ts";
import { writeHandPackage } from "../support/hand-package.ts";
import { expectClose, plainRun } from "./reference.ts";

const SPAROA = join(PROJECT_ROOT, "bin", "sparoa.js");
const sparoa = (...args: string[]) => spawnSync(process.execPath, [SPAROA, ...args], { encoding: "utf8", cwd: PROJECT_ROOT });

describe("sparoa run / bench", () => {
  let dir: string;
  let pkg: string;
  let input: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sparoa-cli-"));
    pkg = join(dir, "pkg");
    await writeHandPackage(join(FIXTURES, "two-branch.onnx"), pkg, (n) => ({ partition: n.name.startsWith("right") ? 0 : 1, processor: n.name.startsWith("right") ? "gpu" : "cpu" }));
    writeFileSync(join(pkg, "two-branch.onnx"), readFileSync(join(FIXTURES, "two-branch.onnx")));
    input = join(dir, "x.npy");
    writeFileSync(input, npyBytes(fromOrtTensor("x", generateFeeds([{ name: "x", dtype: "f32", shape: [3, 256] }], 9).x!)));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("run writes one .npy per output, equal to plain onnxruntime, and says where gpu ran", async () => {
    const out = join(dir, "out");
    const r = sparoa("run", pkg, "--input", `x=${input}`, "-o", out);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include("processor gpu -> cpu (no GPU on this host: the 'gpu' partitions run on the CPU)");
    // The right branch (gpu) feeds the join on cpu: one value crosses, the output returns.
    expect(r.stdout).to.match(/ran 2 partition\(s\) in [\d.]+ ms; per request: 0 value\(s\) stay on the processor that made them, 1 cross processors worker to worker \(1 gpu -> cpu\), 1 model output\(s\) return\n/);
    const y = toOrtTensor(readNpy(join(out, "y.npy"), "y"));
    const x = toOrtTensor(readNpy(input, "x"));
    expectClose({ y }, await plainRun(join(FIXTURES, "two-branch.onnx"), { x }));
  });

  it("run --json prints processors and outputs", () => {
    const r = sparoa("run", pkg, "--dim", "batch=2", "--json");
    expect(r.status, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout);
    expect(report.processors).to.have.length(2);
    expect(report.processors[0]).to.match(/^cpu -> cpu, \d+ threads?$/);
    expect(report.processors[1]).to.match(/^gpu -> cpu \(no GPU on this host/);
    expect(report.partitions).to.equal(2);
    expect(report.routes.kept).to.equal(0);
    expect(report.routes.returned).to.equal(1);
    expect(report.routes.crossings.map((c: { from: string; to: string }) => `${c.from}->${c.to}`)).to.deep.equal(["gpu->cpu"]);
    expect(report.outputs.y.shape).to.deep.equal([2, 256]);
    expect(report.outputs.y.data).to.have.length(512);
  });

  it("bad input: one line on stderr, exit 1, no output folder", () => {
    const out = join(dir, "never");
    const wrong = join(dir, "wrong.npy");
    writeFileSync(wrong, npyBytes(fromOrtTensor("x", generateFeeds([{ name: "x", dtype: "f32", shape: [3, 255] }], 9).x!)));
    for (const [args, message] of [
      [["--input", `x=${wrong}`], "sparoa: error: input 'x': shape [3,255], the model expects [batch,256] (axis 1 must be 256)\n"],
      [["--input", `z=${input}`], "sparoa: error: input 'z': the model has no such input (did you mean 'x'?) (inputs: x)\n"],
      [["--processor-map", "gpu=cuda"], /^sparoa: error: processor 'gpu' cannot use provider 'cuda': .*docs\/gpu.md\n$/],
    ] as const) {
      const r = sparoa("run", pkg, ...args, "-o", out);
      expect(r.status).to.equal(1);
      if (typeof message === "string") expect(r.stderr).to.equal(message);
      else expect(r.stderr).to.match(message);
      expect(existsSync(out)).to.equal(false);
    }
  });

  it("--processor-map maps a processor to a provider; --device-map, its old name, still works and says it is deprecated", () => {
    const runs = ["--processor-map", "--device-map"].map((flag) => sparoa("run", pkg, "--input", `x=${input}`, flag, "gpu=cpu", "--json"));
    for (const r of runs) expect(r.status, r.stderr).to.equal(0);
    const [now, old] = runs.map((r) => JSON.parse(r.stdout));
    expect(now.processors[1]).to.match(/^gpu -> cpu \(mapped by the processor map/);
    expect(old.processors).to.deep.equal(now.processors);
    expect(old.outputs).to.deep.equal(now.outputs);
    expect(runs[0]!.stderr).to.not.include("deprecated");
    expect(runs[1]!.stderr).to.include("sparoa: --device-map is deprecated, it is now --processor-map");
    expect(sparoa("run", "--help").stdout).to.include("--processor-map").and.not.include("--device-map");
    const both = sparoa("run", pkg, "--processor-map", "gpu=cpu", "--device-map", "gpu=cpu");
    expect(both.status).to.equal(1);
    expect(both.stderr).to.equal("sparoa: error: --device-map is the old name of --processor-map: give one of them\n");
  });

  it("bench --json reports percentiles, throughput, utilisation and ratios against plain onnxruntime", () => {
    const r = sparoa("bench", pkg, "--dim", "batch=8", "-n", "6", "--rounds", "2", "--warmup", "1", "--json", "--trace", join(dir, "trace.json"));
    expect(r.status, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout);
    for (const side of ["sparoa", "onnxruntime"]) for (const k of ["p50", "p90", "p99", "throughput"]) expect(report[side][k]).to.be.a("number").and.greaterThan(0);
    expect(report.ratios.p50).to.be.closeTo(report.sparoa.p50 / report.onnxruntime.p50, 1e-9);
    expect(report.utilisation.map((u: { processor: string }) => u.processor)).to.deep.equal(["cpu", "gpu"]);
    // A 0.1 ms model: the note says where the runtime's extra time goes.
    const small = report.onnxruntime.p50 < 2 && report.sparoa.p50 > 1.5 * report.onnxruntime.p50;
    expect(report.notes.some((n: string) => /crosses threads at least twice/.test(n))).to.equal(small);
    const trace = JSON.parse(readFileSync(join(dir, "trace.json"), "utf8"));
    expect(trace.traceEvents.filter((e: { ph: string }) => e.ph === "X").length).to.be.greaterThan(10);
  });

  it("Ctrl-C during a bench closes the workers and exits 130", async () => {
    const child = spawn(process.execPath, [SPAROA, "bench", pkg, "--dim", "batch=64", "-n", "100000", "--rounds", "1"], { cwd: PROJECT_ROOT });
    let stderr = "";
    await new Promise<void>((resolve) => child.stderr.on("data", (d) => { stderr += String(d); if (stderr.includes("warming up")) resolve(); }));
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(code, stderr).to.equal(130);
    expect(stderr).to.include("SIGINT: closing the processor workers");
    expect(Date.now() - t0).to.be.lessThan(5000);
  });
});
