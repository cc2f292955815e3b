// The fuzz campaign: seeded hostile models (test/fuzz/mutate.ts) from the fixtures and the ONNX
// corpus, each run through `inspect` and one of convert / analyze / optimize / run in worker
// processes (test/fuzz/worker.ts) under a timeout and a memory limit. Every run is classified:
//   clean-error  non-zero exit with a user-facing one-line error
//   accepted     exit 0
//   internal     an error that is not user-facing (a bug)
//   hang         over the timeout in CPU time (or five times it in wall time; the worker is killed)
//   memory       the worker's resident memory went over the limit (killed)
//   leftover     a failed run left its output, or any run left a .sparoa-tmp-* file
//   changed-input the model or a file beside it changed (size, mtime or contents)
// and every package optimize wrote is loaded with onnxruntime (the share it refuses must be 0).
import { fork, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { seededRandom } from "../../ir/random.ts";
import { decodeModel } from "../../ir/onnx/proto.ts";
import { BACKEND_TESTS, FIXTURES } from "../support/corpus.ts";
import { changedInputs, snapshotInputs } from "./input-guard.ts";
import { hostileFlags, mutateModel, pick } from "./mutate.ts";
import type { WorkerReply, WorkerRequest } from "./worker.ts";

export type Outcome = "clean-error" | "accepted" | "internal" | "hang" | "memory" | "leftover" | "changed-input";
export const BAD_OUTCOMES: readonly Outcome[] = ["internal", "hang", "memory", "leftover", "changed-input"];

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** Skip the first cases (to reproduce case K of a campaign: first = K, cases = 1). */
  first?: number;
  timeoutMs?: number;
  memoryLimitBytes?: number;
  /** Use ../shared/onnx-backend-tests/light models as seeds too (when present). */
  corpus?: boolean;
  /** Progress lines on stderr. */
  progress?: boolean;
  /** Runs per worker process before it is replaced (keeps the baseline memory low). */
  recycleAfter?: number;
  /** Called with the report so far after every 25 cases (a long campaign stopped early keeps its figures). */
  onCheckpoint?: (report: FuzzReport) => void;
}

export interface RunRecord { caseIndex: number; command: string; outcome: Outcome; ms: number; peakRssBytes: number; detail?: string }

export interface FuzzReport {
  seed: number; cases: number; first: number; runs: number; seconds: number;
  seeds: string[];
  counts: Record<Outcome, number>;
  byCommand: Record<string, Partial<Record<Outcome, number>>>;
  packagesWritten: number; packagesOrtRefused: number;
  /** optimize accepted an input model that onnxruntime itself refuses. */
  inputsOrtRefusedButOptimized: number;
  peakRssBytes: number;
  failures: RunRecord[];
  /** A few accepted-but-ORT-refused inputs, for the verifier's to-do list. */
  notes: string[];
}

interface SeedModel { path: string; name: string; bytes: Uint8Array; inputName?: string; flags: string[] }

/** The seed models: the fixtures always, the light corpus models when present. */
export function seedModels(corpus: boolean): SeedModel[] {
  const files = [join(FIXTURES, "two-branch.onnx"), join(FIXTURES, "tiny-cnn.onnx")];
  const light = join(BACKEND_TESTS, "light");
  if (corpus && existsSync(light)) {
    for (const f of readdirSync(light).sort()) if (f.endsWith(".onnx")) files.push(join(light, f));
  }
  return files.map((path) => {
    const bytes = new Uint8Array(readFileSync(path));
    const inputName = decodeModel(bytes).graph?.input[0]?.name;
    // two-branch has a symbolic batch: bind it so optimize reaches placement.
    const flags = basename(path) === "two-branch.onnx" ? ["--input-shape", "x=1x256"] : [];
    return { path, name: basename(path), bytes, inputName, flags };
  });
}

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));

class Worker {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  runs = 0;

  async start(): Promise<void> {
    this.child = fork(WORKER, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "ignore", "ignore", "ipc"], env: { ...process.env, SPAROA_DEBUG: "" } });
    this.runs = 0;
    this.ready = new Promise((resolve, reject) => {
      this.child!.once("message", () => resolve());
      this.child!.once("exit", (code) => reject(new Error(`fuzz worker exited during start (${code})`)));
    });
    await this.ready;
  }

  kill(): void {
    if (this.child && this.child.exitCode === null) this.child.kill("SIGKILL");
    this.child = undefined;
  }

  /** Runs one request; resolves with the reply, or "hang" / "memory" / "crash" after killing the worker. */
  async run(req: WorkerRequest, timeoutMs: number, memoryLimit: number): Promise<{ reply?: WorkerReply; killed?: "hang" | "memory" | "crash"; peak: number; detail?: string }> {
    if (!this.child) await this.start();
    const child = this.child!;
    this.runs++;
    let peak = 0;
    const cpuAtStart = cpuSeconds(child.pid!);
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: { reply?: WorkerReply; killed?: "hang" | "memory" | "crash"; detail?: string }) => {
        if (done) return;
        done = true;
        clearInterval(poll);
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
        if (r.killed) this.kill();
        resolve({ ...r, peak });
      };
      const onMessage = (m: WorkerReply) => { if (m.id === req.id) finish({ reply: m }); };
      const onExit = (code: number | null, signal: string | null) => { this.child = undefined; finish({ killed: "crash", detail: `worker exited (${code ?? signal})` }); };
      const poll = setInterval(() => {
        const rss = residentBytes(child.pid!);
        peak = Math.max(peak, rss);
        if (rss > memoryLimit) finish({ killed: "memory", detail: `resident memory ${rss} bytes over ${memoryLimit}` });
        // The timeout counts the worker's CPU time, so a machine loaded by other work does not turn slow runs into hangs.
        const cpu = cpuSeconds(child.pid!) - cpuAtStart;
        if (cpu * 1000 > timeoutMs) finish({ killed: "hang", detail: `${cpu.toFixed(1)} s of CPU without a result (limit ${timeoutMs / 1000} s)` });
      }, 100);
      // A run blocked without using CPU (a FIFO, a lock) is caught by wall time: five times the limit.
      const timer = setTimeout(() => finish({ killed: "hang", detail: `no result after ${5 * timeoutMs} ms of wall time` }), 5 * timeoutMs);
      child.on("message", onMessage);
      child.once("exit", onExit);
      child.send(req);
    });
  }
}

/** User + system CPU seconds of a process (all its threads), from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

function residentBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Files a case's folder holds that a run must not leave: staging files of atomic writes. */
function stagingLeftovers(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith(".sparoa-tmp-")) out.push(join(d, e.name));
      else if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

/** The commands of one case: inspect, and one of the others drawn from the case's seed. */
function commandsFor(caseDir: string, model: string, seedModel: SeedModel, rand: () => number): { command: string; args: string[]; output?: string }[] {
  const other = pick(rand, ["convert", "analyze", "optimize", "optimize", "run"]);
  const runs: { command: string; args: string[]; output?: string }[] = [{ command: "inspect", args: ["inspect", model] }];
  const hostile = hostileFlags(other, seedModel.inputName, rand);
  const flags = hostile.some((f) => f === "--input-shape") ? hostile : [...seedModel.flags, ...hostile];
  const out = join(caseDir, other === "convert" ? "out.onnx" : other === "optimize" ? "pkg" : "results");
  switch (other) {
    case "convert": runs.push({ command: other, args: ["convert", model, "-o", out, ...(rand() < 0.5 ? ["--external-data"] : [])], output: out }); break;
    case "analyze": runs.push({ command: other, args: ["analyze", model, "--samples", "2", "--json", ...flags] }); break;
    case "optimize": runs.push({ command: other, args: ["optimize", model, "-o", out, "--samples", "2", ...(rand() < 0.5 ? ["--no-calibrate"] : []), ...flags], output: out }); break;
    case "run": runs.push({ command: other, args: ["run", model, "--threads", "1", "-o", out, ...hostile], output: out }); break;
  }
  return runs;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const memoryLimit = options.memoryLimitBytes ?? 2 * 2 ** 30;
  const recycle = options.recycleAfter ?? 150;
  const first = options.first ?? 0;
  const seeds = seedModels(options.corpus ?? true);
  const root = mkdtempSync(join(tmpdir(), "sparoa-fuzz-"));
  const report: FuzzReport = {
    seed: options.seed, cases: options.cases, first, runs: 0, seconds: 0, seeds: seeds.map((s) => s.name),
    counts: { "clean-error": 0, accepted: 0, internal: 0, hang: 0, memory: 0, leftover: 0, "changed-input": 0 },
    byCommand: {}, packagesWritten: 0, packagesOrtRefused: 0, inputsOrtRefusedButOptimized: 0, peakRssBytes: 0, failures: [], notes: [],
  };
  const worker = new Worker();
  const t0 = performance.now();
  let id = 0;
  try {
    for (let c = first; c < first + options.cases; c++) {
      const caseSeed = (options.seed * 1_000_003 + c) >>> 0;
      const rand = seededRandom(caseSeed ^ 0x5bd1e995);
      const seedModel = seeds[c % seeds.length]!;
      const caseDir = join(root, `case-${c}`);
      mkdirSync(join(caseDir, "m"), { recursive: true });
      const mutated = mutateModel(seedModel.bytes, caseSeed);
      const model = join(caseDir, "m", "model.onnx");
      writeFileSync(model, mutated.bytes);
      for (const side of mutated.sideFiles ?? []) {
        if (side.folder) mkdirSync(join(caseDir, "m", side.name));
        else writeFileSync(join(caseDir, "m", side.name), side.bytes ?? new Uint8Array(0));
      }
      const inputs = readdirSync(join(caseDir, "m")).map((f) => join(caseDir, "m", f));
      for (const run of commandsFor(caseDir, model, seedModel, rand)) {
        if (worker.runs >= recycle) worker.kill();
        const before = snapshotInputs(inputs);
        const req: WorkerRequest = { id: ++id, args: run.args, checkPackage: run.command === "optimize" ? run.output : undefined, checkInput: model };
        const t = performance.now();
        const r = await worker.run(req, timeoutMs, memoryLimit);
        const ms = performance.now() - t;
        report.peakRssBytes = Math.max(report.peakRssBytes, r.peak);
        let outcome: Outcome;
        let detail = r.detail;
        const changed = changedInputs(before);
        const staging = stagingLeftovers(caseDir);
        if (r.killed === "hang") outcome = "hang";
        else if (r.killed === "memory") outcome = "memory";
        else if (r.killed === "crash") outcome = "internal";
        else if (changed.length > 0) { outcome = "changed-input"; detail = changed.join("; "); }
        else if (staging.length > 0 || (r.reply!.code !== 0 && run.output !== undefined && existsSync(run.output))) {
          outcome = "leftover"; detail = staging[0] ?? `${run.output} left by a failed run`;
        } else if (r.reply!.internal) { outcome = "internal"; detail = `${r.reply!.firstError ?? ""}\n${r.reply!.stack ?? ""}`; }
        else outcome = r.reply!.code === 0 ? "accepted" : "clean-error";
        if (r.reply?.packageLoads !== undefined) {
          report.packagesWritten++;
          if (!r.reply.packageLoads) {
            report.packagesOrtRefused++;
            report.failures.push({ caseIndex: c, command: run.command, outcome: "accepted", ms, peakRssBytes: r.peak, detail: `package onnxruntime refuses: ${r.reply.packageProblem} [${mutated.description}]` });
          }
          if (r.reply.inputLoads === false) {
            report.inputsOrtRefusedButOptimized++;
            if (report.notes.length < 20) report.notes.push(`case ${c} (${seedModel.name}): ${mutated.description}`);
          }
        }
        report.runs++;
        report.counts[outcome]++;
        const per = (report.byCommand[run.command] ??= {});
        per[outcome] = (per[outcome] ?? 0) + 1;
        if (BAD_OUTCOMES.includes(outcome)) {
          report.failures.push({ caseIndex: c, command: run.command, outcome, ms, peakRssBytes: r.peak, detail: `${detail ?? ""} [${seedModel.name}: ${mutated.description}] sparoa ${run.args.join(" ")}` });
        }
        // Clear outputs so the next command of the case starts clean.
        if (run.output) rmSync(run.output, { recursive: true, force: true });
      }
      rmSync(caseDir, { recursive: true, force: true });
      if ((c - first + 1) % 25 === 0) {
        report.cases = c - first + 1;
        report.seconds = (performance.now() - t0) / 1000;
        options.onCheckpoint?.(report);
        report.cases = options.cases;
      }
      if (options.progress && (c - first + 1) % 25 === 0) {
        const bad = BAD_OUTCOMES.reduce((a, o) => a + report.counts[o], 0);
        process.stderr.write(`fuzz: ${c - first + 1}/${options.cases} cases, ${report.runs} runs, ${bad} bad, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
      }
    }
  } finally {
    worker.kill();
    rmSync(root, { recursive: true, force: true });
  }
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}

/** The report as text: counts per outcome and command, the ORT figures, and the failures. */
export function formatReport(r: FuzzReport): string {
  const lines = [
    `fuzz: seed ${r.seed}, cases ${r.first}..${r.first + r.cases - 1} (${r.cases}), ${r.runs} command runs in ${r.seconds.toFixed(0)} s`,
    `seed models: ${r.seeds.join(", ")}`,
    `outcomes: ${Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    ...Object.entries(r.byCommand).map(([cmd, c]) => `  ${cmd.padEnd(9)} ${Object.entries(c).map(([k, v]) => `${k} ${v}`).join(", ")}`),
    `packages written by optimize: ${r.packagesWritten}; onnxruntime refuses ${r.packagesOrtRefused} (${r.packagesWritten ? ((100 * r.packagesOrtRefused) / r.packagesWritten).toFixed(1) : "0.0"}%)`,
    `inputs optimize accepted that onnxruntime refuses: ${r.inputsOrtRefusedButOptimized}`,
    `peak worker resident memory: ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
  ];
  for (const f of r.failures.slice(0, 30)) lines.push(`FAIL case ${f.caseIndex} ${f.command} ${f.outcome}: ${f.detail?.split("\n").slice(0, 4).join(" | ")}`);
  for (const n of r.notes.slice(0, 10)) lines.push(`note: optimize accepted an input onnxruntime refuses: ${n}`);
  return lines.join("\n") + "\n";
}
