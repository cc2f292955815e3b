// The GPU check (bench/gpu-check.sh; schema sparoa.gpu-check.v1 in docs/gpu.md): what someone
// with an NVIDIA host runs after `npm ci`. It reports the execution providers onnxruntime-node
// finds, measures the host with `sparoa profile` on the GPU, runs `sparoa optimize` for that
// measured profile on a few bundled and corpus models, checks `sparoa run` on the GPU against
// the CPU, and benches the hybrid plan (both engines) against GPU-only and CPU-only onnxruntime,
// writing one JSON file. Without a working GPU provider (or with --dry) it runs in dry mode:
// every GPU step is recorded as skipped with the reason and the exact commands it would have
// run, and a CPU rehearsal (optimize + run --check of one fixture) shows the pipeline works.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { availableParallelism, hostname, loadavg, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readNpy } from "../src/io/npy.ts";
import { writeAtomic } from "../src/io/output.ts";
import { compareTensors } from "../ort/tensor-bridge.ts";
import { type Provider } from "../src/runtime/processor-placement.ts";
import { hostShowsGpu, providerProblem } from "../ort/providers.ts";
import { NPM_BINDINGS } from "../test/support/npm-bindings.ts";

export const GPU_CHECK_SCHEMA = "sparoa.gpu-check.v1";
const ROOT = resolve(fileURLToPath(import.meta.url), "..", "..");
const SPAROA = join(ROOT, "bin", "sparoa.js");
/** GPU vs CPU float results differ in summation order: looser than the CPU-vs-CPU 1e-4 / 1e-5. */
const GPU_RTOL = 1e-3;
const GPU_ATOL = 1e-4;

export interface GpuCheckStep {
  name: string;
  status: "ran" | "skipped" | "failed";
  /** Why it was skipped or failed. */
  reason?: string;
  /** The sparoa command lines it ran, or would have run. */
  commands: string[];
  seconds?: number;
  result?: unknown;
}

export interface GpuCheckModelResult {
  model: string;
  partitions: number | null;
  /** GPU vs CPU outputs of `sparoa run` on the package. */
  check: { ok: boolean; maxAbs: number; maxRel: number; rtol: number; atol: number } | null;
  /** Median latency, ms. */
  p50Ms: { hybridWorkers: number | null; hybridOrt: number | null; gpuOnly: number | null; cpuOnly: number | null };
}

export interface GpuCheckReport {
  schema: typeof GPU_CHECK_SCHEMA;
  date: string;
  mode: "gpu" | "dry";
  /** Why dry, when dry. */
  dryReason: string | null;
  host: { hostname: string; cpus: number; loadavg: number[]; node: string; nvidiaSmi: string | null; gpuDeviceNodes: boolean };
  /** Provider -> "ok", or why onnxruntime-node cannot use it here. */
  providers: Record<string, string>;
  /** The provider the GPU steps use (cuda before webgpu), null in dry mode. */
  gpuProvider: Provider | null;
  steps: GpuCheckStep[];
  models: GpuCheckModelResult[];
}

function sparoa(args: string[]): { ok: boolean; stdout: string; stderr: string; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [SPAROA, ...args], { encoding: "utf8", cwd: ROOT, maxBuffer: 256 * 1024 * 1024 });
  return { ok: r.status === 0, stdout: r.stdout ?? "", stderr: (r.stderr ?? "").trim().split("\n").pop() ?? "", seconds: (performance.now() - t0) / 1000 };
}

const line = (args: string[]) => ["sparoa", ...args].map((a) => (/[\s;*()]/.test(a) ? `'${a}'` : a)).join(" ");

function nvidiaSmi(): string | null {
  const r = spawnSync("nvidia-smi", ["--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The default models: two bundled fixtures, two light-corpus CNNs and one npm model when present. */
export function defaultModels(): string[] {
  const light = resolve(ROOT, "..", "shared", "onnx-backend-tests", "light");
  const npm = join(ROOT, "node_modules", "@gutenye", "ocr-models", "assets", "ch_ppocr_mobile_v2.0_cls_infer.onnx");
  return [
    join(ROOT, "fixtures", "two-branch.onnx"), join(ROOT, "fixtures", "tiny-cnn.onnx"),
    ...["light_squeezenet.onnx", "light_resnet50.onnx"].map((f) => join(light, f)).filter(existsSync),
    ...(existsSync(npm) ? [npm] : []),
  ];
}

function shapeArgs(model: string): string[] {
  const b = NPM_BINDINGS[basename(model)];
  return b ? b.shapes.split(";").flatMap((s) => ["--input-shape", s]) : [];
}

/** Largest abs/rel difference over every output file the two runs wrote; ok within GPU_RTOL/GPU_ATOL. */
function compareRuns(gpuDir: string, cpuDir: string): { ok: boolean; maxAbs: number; maxRel: number; rtol: number; atol: number } {
  let ok = true; let maxAbs = 0; let maxRel = 0;
  for (const f of readdirSync(cpuDir).filter((x) => x.endsWith(".npy"))) {
    const c = compareTensors(readNpy(join(gpuDir, f), f), readNpy(join(cpuDir, f), f), GPU_RTOL, GPU_ATOL);
    ok &&= c.ok;
    maxAbs = Math.max(maxAbs, c.maxAbs);
    maxRel = Math.max(maxRel, c.maxRel);
  }
  return { ok, maxAbs, maxRel, rtol: GPU_RTOL, atol: GPU_ATOL };
}

function p50(json: string, side: "sparoa" | "onnxruntime"): number | null {
  try {
    return (JSON.parse(json) as Record<string, { p50?: number } | undefined>)[side]?.p50 ?? null;
  } catch {
    return null;
  }
}

export interface GpuCheckOptions { dry: boolean; out: string; models: string[]; iterations: number; work?: string }

export async function gpuCheck(o: GpuCheckOptions): Promise<GpuCheckReport> {
  const providers: Record<string, string> = { cpu: "ok" };
  const gpuNodes = hostShowsGpu();
  for (const p of ["cuda", "tensorrt", "webgpu"] as const) {
    // Probing WebGPU without a GPU device node only makes Dawn print driver warnings.
    if (p === "webgpu" && !gpuNodes) { providers[p] = "not probed: no GPU device node (/dev/nvidia*, /dev/dri/renderD*)"; continue; }
    providers[p] = (await providerProblem(p)) ?? "ok";
  }
  const gpuProvider = (["cuda", "webgpu"] as const).find((p) => providers[p] === "ok") ?? null;
  const dryReason = o.dry ? "--dry given" : gpuProvider ? null : `no working GPU provider: cuda: ${providers.cuda}; webgpu: ${providers.webgpu}`;
  const report: GpuCheckReport = {
    schema: GPU_CHECK_SCHEMA, date: new Date().toISOString(), mode: dryReason ? "dry" : "gpu", dryReason,
    host: { hostname: hostname(), cpus: availableParallelism(), loadavg: loadavg().map((x) => Number(x.toFixed(2))), node: process.version, nvidiaSmi: nvidiaSmi(), gpuDeviceNodes: gpuNodes },
    providers, gpuProvider: dryReason ? null : gpuProvider, steps: [], models: [],
  };
  report.steps.push({ name: "providers", status: "ran", commands: [], result: providers });
  const work = o.work ?? mkdtempSync(join(tmpdir(), "sparoa-gpu-check-"));
  const gpu = report.gpuProvider ?? "cuda";
  const profileFile = join(work, "gpu-host.json");
  const n = String(o.iterations);
  const plan = o.models.map((model) => {
    const stem = basename(model, ".onnx");
    const pkg = join(work, `pkg-${stem}`);
    return {
      model, pkg,
      optimize: ["optimize", model, "--device", profileFile, "-o", pkg, "--check", "--no-calibrate", ...shapeArgs(model), "--json"],
      runGpu: ["run", pkg, "--processor-map", `gpu=${gpu}`, "-o", join(work, `out-gpu-${stem}`)],
      runCpu: ["run", pkg, "--processor-map", "gpu=cpu", "-o", join(work, `out-cpu-${stem}`)],
      benchWorkers: ["bench", pkg, "--processor-map", `gpu=${gpu}`, "-n", n, "--json"],
      benchOrt: ["bench", pkg, "--engine", "ort", "--processor-map", `gpu=${gpu}`, "-n", n, "--no-baseline", "--json"],
      benchGpuOnly: ["bench", model, "--processor-map", `cpu=${gpu}`, "-n", n, "--no-baseline", "--json"],
    };
  });
  const profileArgs = ["profile", "--ep", "cpu", gpu, "--quick", "-o", profileFile, "--json"];
  try {
    if (dryReason) {
      const skip = (name: string, commands: string[][]) => report.steps.push({ name, status: "skipped", reason: dryReason, commands: commands.map(line) });
      skip("profile (GPU)", [profileArgs]);
      skip("optimize (measured GPU profile)", plan.map((p) => p.optimize));
      skip(`run --check (GPU vs CPU, rtol ${GPU_RTOL}, atol ${GPU_ATOL})`, plan.flatMap((p) => [p.runGpu, p.runCpu]));
      skip("bench (hybrid workers, hybrid ort, GPU-only; CPU-only is the bench baseline)", plan.flatMap((p) => [p.benchWorkers, p.benchOrt, p.benchGpuOnly]));
      report.steps.push(rehearsal(work));
      return report;
    }
    const prof = sparoa(profileArgs);
    report.steps.push({ name: "profile (GPU)", status: prof.ok ? "ran" : "failed", commands: [line(profileArgs)], seconds: prof.seconds, ...(prof.ok ? {} : { reason: prof.stderr }) });
    if (!prof.ok) return report;
    for (const p of plan) {
      const result: GpuCheckModelResult = { model: p.model, partitions: null, check: null, p50Ms: { hybridWorkers: null, hybridOrt: null, gpuOnly: null, cpuOnly: null } };
      report.models.push(result);
      const opt = sparoa(p.optimize);
      report.steps.push({ name: `optimize ${basename(p.model)}`, status: opt.ok ? "ran" : "failed", commands: [line(p.optimize)], seconds: opt.seconds, ...(opt.ok ? {} : { reason: opt.stderr }) });
      if (!opt.ok) continue;
      result.partitions = (JSON.parse(opt.stdout) as { partitions: unknown[] }).partitions.length;
      const g = sparoa(p.runGpu);
      const c = sparoa(p.runCpu);
      const ran = g.ok && c.ok;
      if (ran) result.check = compareRuns(join(work, `out-gpu-${basename(p.model, ".onnx")}`), join(work, `out-cpu-${basename(p.model, ".onnx")}`));
      report.steps.push({ name: `run --check ${basename(p.model)}`, status: ran ? "ran" : "failed", commands: [line(p.runGpu), line(p.runCpu)], ...(ran ? { result: result.check } : { reason: g.ok ? c.stderr : g.stderr }) });
      for (const [key, args] of [["hybridWorkers", p.benchWorkers], ["hybridOrt", p.benchOrt], ["gpuOnly", p.benchGpuOnly]] as const) {
        const b = sparoa(args);
        report.steps.push({ name: `bench ${key} ${basename(p.model)}`, status: b.ok ? "ran" : "failed", commands: [line(args)], seconds: b.seconds, ...(b.ok ? {} : { reason: b.stderr }) });
        if (!b.ok) continue;
        result.p50Ms[key] = p50(b.stdout, "sparoa");
        if (key === "hybridWorkers") result.p50Ms.cpuOnly = p50(b.stdout, "onnxruntime");
      }
    }
    return report;
  } finally {
    if (!o.work) rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Dry mode's CPU run of the same pipeline on one fixture: optimize for a measured CPU profile
 * (the fixture: the live host profile would measure this machine first, a minute the rehearsal
 * does not need), then run --check on the CPU.
 */
function rehearsal(work: string): GpuCheckStep {
  const pkg = join(work, "rehearsal");
  const args = ["optimize", join(ROOT, "fixtures", "two-branch.onnx"), "--device", join(ROOT, "fixtures", "profiles", "host-2026-11-26.json"), "--input-shape", "x=1x256", "-o", pkg, "--check", "--no-calibrate", "--json"];
  const r = sparoa(args);
  if (!r.ok) return { name: "rehearsal on the CPU (dry mode)", status: "failed", reason: r.stderr, commands: [line(args)], seconds: r.seconds };
  const check = (JSON.parse(r.stdout) as { check: { ok: boolean } | null }).check;
  return { name: "rehearsal on the CPU (dry mode)", status: check?.ok ? "ran" : "failed", commands: [line(args)], seconds: r.seconds, result: { checkOk: check?.ok ?? false } };
}

function parseArgs(argv: string[]): GpuCheckOptions {
  const o: GpuCheckOptions = { dry: false, out: "gpu-check.json", models: [], iterations: 30 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => { const v = argv[++i]; if (v === undefined) throw new Error(`${a}: needs a value`); return v; };
    if (a === "--dry") o.dry = true;
    else if (a === "--out" || a === "-o") o.out = value();
    else if (a === "--models") o.models = value().split(",").filter(Boolean).map((m) => resolve(m));
    else if (a === "-n" || a === "--iterations") o.iterations = Number(value());
    else if (a === "--help" || a === "-h") {
      process.stdout.write("usage: bench/gpu-check.sh [--dry] [--out FILE.json] [--models a.onnx,b.onnx] [-n ITERATIONS]\n  dry mode by itself where no GPU provider works; writes one JSON (schema sparoa.gpu-check.v1, docs/gpu.md)\n");
      process.exit(0);
    } else throw new Error(`${a}: unknown option (see --help)`);
  }
  if (!(o.iterations >= 1)) throw new Error("-n: must be at least 1");
  for (const m of o.models) if (!existsSync(m)) throw new Error(`--models: ${m}: no such file`);
  if (o.models.length === 0) o.models = defaultModels();
  return o;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const options = parseArgs(process.argv.slice(2));
    const report = await gpuCheck(options);
    writeAtomic(options.out, JSON.stringify(report, null, 2) + "\n");
    const failed = report.steps.filter((s) => s.status === "failed");
    process.stdout.write(`gpu-check: ${report.mode} mode${report.dryReason ? ` (${report.dryReason})` : ` on ${report.gpuProvider}`}; ${report.steps.filter((s) => s.status === "ran").length} step(s) ran, ${report.steps.filter((s) => s.status === "skipped").length} skipped, ${failed.length} failed; wrote ${options.out}\n`);
    for (const s of report.steps) process.stdout.write(`  ${s.status.padEnd(7)} ${s.name}${s.reason ? `: ${s.reason}` : ""}\n`);
    process.exit(failed.length > 0 ? 1 : 0);
  } catch (e) {
    process.stderr.write(`gpu-check: error: ${(e as Error).message.split("\n")[0]}\n`);
    process.exit(2);
  }
}
