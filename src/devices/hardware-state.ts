// The machine's live state: how busy its processors are, how much memory is free, and what the
// GPU is doing, read cheaply from the kernel's files (and nvidia-smi where present). The planner
// uses it to give a busy processor less of itself (adjustProfile) and the scheduler reads it as
// part of its observation. Every source is optional: what cannot be read is listed in `absent`
// with the reason, never filled in with a guess.
import { SparoaError } from "../../ir/sparoa-error.ts";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { cpus, hostname, loadavg } from "node:os";
import { join } from "node:path";
import { readJsonFile } from "../io/json-file.ts";

export const STATE_SCHEMA = "sparoa.state.v1";

export interface CoreState {
  core: number;
  /** Busy fraction of this core over the sampling window, 0..1. */
  utilisation: number;
  freqMHz?: number;
  maxFreqMHz?: number;
}

export interface GpuState {
  /** Where the figures came from. */
  source: "nvidia-smi" | "jetson-devfreq";
  name: string;
  /** Busy fraction, 0..1. */
  utilisation?: number;
  memoryUsedMB?: number;
  memoryTotalMB?: number;
  clockMHz?: number;
  maxClockMHz?: number;
  memoryClockMHz?: number;
  powerW?: number;
  temperatureC?: number;
}

export interface PowerRail { label: string; voltageMv: number; currentMa: number; powerW: number }

export interface HardwareState {
  schema: typeof STATE_SCHEMA;
  takenAt: string;
  host: string;
  cpu: {
    logicalCores: number;
    /** Busy fraction of all cores together over the sampling window, 0..1. */
    utilisation?: number;
    /** Fraction of the window the hypervisor gave to other guests, 0..1. */
    steal?: number;
    cores: CoreState[];
    load1: number;
    load5: number;
    load15: number;
  };
  memory?: { totalMB: number; availableMB: number };
  /** Linux pressure stall information: share of the last 10 s some task waited, 0..1. */
  pressure?: { cpuSome?: number; memorySome?: number; memoryFull?: number };
  gpus: GpuState[];
  /** Jetson INA3221 power rails. */
  rails: PowerRail[];
  /** EMC (memory controller) clock on Jetson, MHz. */
  emcMHz?: number;
  /** Each figure that could not be read, and why. */
  absent: Record<string, string>;
}

export interface StateSources {
  /** Filesystem root for /proc and /sys (tests point it at a fixture tree). */
  root?: string;
  /** Milliseconds between the two /proc/stat reads (default 100). */
  sampleMs?: number;
  /** Runs a command and returns its stdout, or undefined when it cannot run (tests replace it). */
  run?: (command: string, args: string[]) => string | undefined;
  /** Load averages (tests replace them; default os.loadavg()). */
  loadavg?: () => number[];
}

/** A state file or snapshot that does not follow the schema; the message names the field. */
export class HardwareStateError extends SparoaError {
  override name = "HardwareStateError";
}

const NVIDIA_QUERY = "name,utilization.gpu,memory.used,memory.total,clocks.current.sm,clocks.max.sm,clocks.current.memory,power.draw,temperature.gpu";

function defaultRun(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: "utf8", timeout: 2000, stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return undefined;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function readNumber(path: string): number | undefined {
  const t = readText(path)?.trim();
  if (t === undefined || t === "") return undefined;
  const n = Number(t.split(/\s+/)[0]);
  return Number.isFinite(n) ? n : undefined;
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** Per-cpu (busy, total, steal) jiffies from /proc/stat; index -1 is the aggregate line. */
function cpuTimes(statText: string): Map<number, { busy: number; total: number; steal: number }> {
  const out = new Map<number, { busy: number; total: number; steal: number }>();
  for (const line of statText.split("\n")) {
    const m = /^cpu(\d*)\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest times are already inside user).
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    out.set(m[1] === "" ? -1 : Number(m[1]), { busy: total - idle, total, steal: f[7] ?? 0 });
  }
  return out;
}

/** All cores' (busy, total, steal) jiffies since boot from /proc/stat, undefined where it is unreadable. */
export function readCpuJiffies(root = "/"): { busy: number; total: number; steal: number } | undefined {
  const text = readText(join(root, "proc/stat"));
  return text === undefined ? undefined : cpuTimes(text).get(-1);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Reads the machine's state now: two /proc/stat samples `sampleMs` apart, then everything else once. */
export async function readHardwareState(sources: StateSources = {}): Promise<HardwareState> {
  const root = sources.root ?? "/";
  const run = sources.run ?? defaultRun;
  const absent: Record<string, string> = {};
  const p = (...parts: string[]) => join(root, ...parts);

  const [load1, load5, load15] = (sources.loadavg ?? loadavg)();
  const cpu: HardwareState["cpu"] = { logicalCores: cpus().length, cores: [], load1: load1 ?? 0, load5: load5 ?? 0, load15: load15 ?? 0 };
  const first = readText(p("proc/stat"));
  if (first === undefined) absent["cpu.utilisation"] = "/proc/stat is not readable";
  else {
    await sleep(sources.sampleMs ?? 100);
    const a = cpuTimes(first);
    const b = cpuTimes(readText(p("proc/stat")) ?? first);
    const frac = (x: number, total: number) => (total > 0 ? Math.min(1, Math.max(0, x / total)) : 0);
    for (const [core, t1] of b) {
      const t0 = a.get(core);
      if (!t0) continue;
      const total = t1.total - t0.total;
      if (core === -1) {
        cpu.utilisation = frac(t1.busy - t0.busy, total);
        cpu.steal = frac(t1.steal - t0.steal, total);
        continue;
      }
      const state: CoreState = { core, utilisation: frac(t1.busy - t0.busy, total) };
      const freq = readNumber(p(`sys/devices/system/cpu/cpu${core}/cpufreq/scaling_cur_freq`));
      const max = readNumber(p(`sys/devices/system/cpu/cpu${core}/cpufreq/cpuinfo_max_freq`));
      if (freq !== undefined) state.freqMHz = freq / 1000;
      if (max !== undefined) state.maxFreqMHz = max / 1000;
      cpu.cores.push(state);
    }
    cpu.cores.sort((x, y) => x.core - y.core);
    if (cpu.cores.length > 0) cpu.logicalCores = cpu.cores.length;
    if (!cpu.cores.some((c) => c.freqMHz !== undefined)) absent["cpu.cores.freqMHz"] = "no cpufreq entries under /sys/devices/system/cpu";
  }

  const state: HardwareState = { schema: STATE_SCHEMA, takenAt: new Date().toISOString(), host: hostname(), cpu, gpus: [], rails: [], absent };

  const meminfo = readText(p("proc/meminfo"));
  const kb = (key: string) => { const m = meminfo && new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(meminfo); return m ? Number(m[1]) : undefined; };
  const total = kb("MemTotal"), available = kb("MemAvailable");
  if (total !== undefined && available !== undefined) state.memory = { totalMB: Math.round(total / 1024), availableMB: Math.round(available / 1024) };
  else absent.memory = "/proc/meminfo has no MemTotal/MemAvailable";

  const pressure: NonNullable<HardwareState["pressure"]> = {};
  const avg10 = (text: string | undefined, kind: "some" | "full") => {
    const m = text && new RegExp(`^${kind} avg10=([\\d.]+)`, "m").exec(text);
    return m ? Number(m[1]) / 100 : undefined;
  };
  const cpuPsi = readText(p("proc/pressure/cpu")), memPsi = readText(p("proc/pressure/memory"));
  pressure.cpuSome = avg10(cpuPsi, "some");
  pressure.memorySome = avg10(memPsi, "some");
  pressure.memoryFull = avg10(memPsi, "full");
  for (const [k, v] of Object.entries(pressure)) if (v === undefined) delete pressure[k as keyof typeof pressure];
  if (Object.keys(pressure).length > 0) state.pressure = pressure;
  else absent.pressure = "/proc/pressure is not readable (kernel without PSI)";

  readNvidia(run, state);
  readJetson(root, state);
  if (state.gpus.length === 0) absent.gpus = "no nvidia-smi and no Jetson GPU devfreq entry";
  return state;
}

function readNvidia(run: NonNullable<StateSources["run"]>, state: HardwareState): void {
  const out = run("nvidia-smi", [`--query-gpu=${NVIDIA_QUERY}`, "--format=csv,noheader,nounits"]);
  if (out === undefined) return;
  for (const line of out.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const f = line.split(",").map((s) => s.trim());
    const n = (i: number) => { const x = Number(f[i]); return f[i] === undefined || f[i] === "" || !Number.isFinite(x) ? undefined : x; };
    const gpu: GpuState = { source: "nvidia-smi", name: f[0] ?? "gpu" };
    const util = n(1);
    if (util !== undefined) gpu.utilisation = util / 100;
    const fields: [keyof GpuState, number][] = [["memoryUsedMB", 2], ["memoryTotalMB", 3], ["clockMHz", 4], ["maxClockMHz", 5], ["memoryClockMHz", 6], ["powerW", 7], ["temperatureC", 8]];
    for (const [key, i] of fields) { const v = n(i); if (v !== undefined) (gpu as unknown as Record<string, number>)[key] = v; }
    state.gpus.push(gpu);
  }
}

/** Jetson, as jtop reads it: GPU devfreq load and clocks, EMC clock, INA3221 rails. */
function readJetson(root: string, state: HardwareState): void {
  const devfreq = join(root, "sys/class/devfreq");
  for (const entry of listDir(devfreq)) {
    const dir = join(devfreq, entry);
    const of = readText(join(dir, "device/of_node/name"))?.replace(/\0/g, "").trim();
    if (!of || !/^(ga10b|gv11b|gp10b|gpu)$/.test(of)) continue;
    const gpu: GpuState = { source: "jetson-devfreq", name: of };
    const load = readNumber(join(dir, "device/load")) ?? readNumber(join(dir, "load"));
    if (load !== undefined) gpu.utilisation = Math.min(1, load / 1000);
    const cur = readNumber(join(dir, "cur_freq")), max = readNumber(join(dir, "max_freq"));
    if (cur !== undefined) gpu.clockMHz = cur / 1e6;
    if (max !== undefined) gpu.maxClockMHz = max / 1e6;
    state.gpus.push(gpu);
  }
  const emc = readNumber(join(root, "sys/kernel/debug/bpmp/debug/clk/emc/rate"));
  if (emc !== undefined) state.emcMHz = emc / 1e6;
  const i2c = join(root, "sys/bus/i2c/devices");
  for (const dev of listDir(i2c)) {
    for (const hw of listDir(join(i2c, dev, "hwmon"))) {
      const dir = join(i2c, dev, "hwmon", hw);
      for (const f of listDir(dir)) {
        const m = /^in(\d+)_label$/.exec(f);
        if (!m) continue;
        const label = readText(join(dir, f))?.trim();
        const mv = readNumber(join(dir, `in${m[1]}_input`));
        const ma = readNumber(join(dir, `curr${m[1]}_input`));
        if (label && mv !== undefined && ma !== undefined) state.rails.push({ label, voltageMv: mv, currentMa: ma, powerW: (mv * ma) / 1e6 });
      }
    }
  }
  if (!existsSync(i2c) || state.rails.length === 0) state.absent.rails = "no INA3221 power rails under /sys/bus/i2c/devices";
}

/** Checks a state read from a file; throws HardwareStateError naming `source` and the field. */
export function validateHardwareState(json: unknown, source = "state"): HardwareState {
  const fail = (field: string, what: string): never => { throw new HardwareStateError(`${source}: field '${field}' ${what}`); };
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  const fraction = (v: unknown, field: string, optional = true) => {
    if (v === undefined && optional) return;
    if (typeof v !== "number" || !Number.isFinite(v)) fail(field, `must be a number (got ${JSON.stringify(v)})`);
    if ((v as number) < 0 || (v as number) > 1) fail(field, `must be a fraction between 0 and 1 (got ${v})`);
  };
  const nonNegative = (v: unknown, field: string, optional = true) => {
    if (v === undefined && optional) return;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) fail(field, `must be a number >= 0 (got ${JSON.stringify(v)})`);
  };
  if (!isObj(json)) return fail("(root)", "must be an object");
  if (json.schema !== STATE_SCHEMA) fail("schema", `must be "${STATE_SCHEMA}" (got ${JSON.stringify(json.schema)})`);
  const cpu = json.cpu;
  if (!isObj(cpu)) return fail("cpu", "is missing or not an object");
  nonNegative(cpu.logicalCores, "cpu.logicalCores", false);
  fraction(cpu.utilisation, "cpu.utilisation");
  fraction(cpu.steal, "cpu.steal");
  for (const k of ["load1", "load5", "load15"]) {
    nonNegative(cpu[k], `cpu.${k}`, false);
    // A load average far above the core count is a broken reading, not a busy machine.
    if ((cpu[k] as number) > 64 * Math.max(1, cpu.logicalCores as number)) fail(`cpu.${k}`, `is implausible for ${cpu.logicalCores} cores (got ${cpu[k]})`);
  }
  if (!Array.isArray(cpu.cores)) fail("cpu.cores", "must be an array");
  (cpu.cores as unknown[]).forEach((c, i) => {
    if (!isObj(c)) return fail(`cpu.cores[${i}]`, "must be an object");
    fraction(c.utilisation, `cpu.cores[${i}].utilisation`, false);
    nonNegative(c.freqMHz, `cpu.cores[${i}].freqMHz`);
  });
  if (json.memory !== undefined) {
    if (!isObj(json.memory)) fail("memory", "must be an object");
    const m = json.memory as Record<string, unknown>;
    nonNegative(m.totalMB, "memory.totalMB", false);
    nonNegative(m.availableMB, "memory.availableMB", false);
    if ((m.availableMB as number) > (m.totalMB as number)) fail("memory.availableMB", `exceeds memory.totalMB (${m.availableMB} > ${m.totalMB})`);
  }
  if (json.pressure !== undefined) {
    if (!isObj(json.pressure)) fail("pressure", "must be an object");
    for (const [k, v] of Object.entries(json.pressure as Record<string, unknown>)) fraction(v, `pressure.${k}`);
  }
  if (!Array.isArray(json.gpus)) fail("gpus", "must be an array");
  (json.gpus as unknown[]).forEach((g, i) => {
    if (!isObj(g)) return fail(`gpus[${i}]`, "must be an object");
    fraction(g.utilisation, `gpus[${i}].utilisation`);
    for (const k of ["memoryUsedMB", "memoryTotalMB", "clockMHz", "maxClockMHz", "powerW"]) nonNegative(g[k], `gpus[${i}].${k}`);
  });
  if (json.rails !== undefined && !Array.isArray(json.rails)) fail("rails", "must be an array");
  if (json.absent !== undefined && !isObj(json.absent)) fail("absent", "must be an object");
  return { rails: [], absent: {}, takenAt: "", host: "", ...json } as unknown as HardwareState;
}

/** Reads and validates a state file written by `sparoa profile --state --json`. */
export function loadHardwareState(path: string): HardwareState {
  return validateHardwareState(readJsonFile(path, "state file", (m) => new HardwareStateError(m)), path);
}

/** One line per figure, for `sparoa profile --state`. */
export function describeHardwareState(s: HardwareState): string[] {
  const pct = (x: number | undefined) => (x === undefined ? "absent" : `${(x * 100).toFixed(0)}%`);
  const lines = [`Hardware state of ${s.host} at ${s.takenAt}`];
  lines.push(`  cpu: ${s.cpu.logicalCores} cores, busy ${pct(s.cpu.utilisation)}${s.cpu.steal ? `, steal ${pct(s.cpu.steal)}` : ""}, load ${s.cpu.load1.toFixed(2)} / ${s.cpu.load5.toFixed(2)} / ${s.cpu.load15.toFixed(2)}`);
  if (s.cpu.cores.length > 0) lines.push(`  cores: ${s.cpu.cores.map((c) => `${c.core}:${pct(c.utilisation)}${c.freqMHz ? `@${c.freqMHz.toFixed(0)}MHz` : ""}`).join(" ")}`);
  if (s.memory) lines.push(`  memory: ${s.memory.availableMB} MB available of ${s.memory.totalMB} MB`);
  if (s.pressure) lines.push(`  pressure (10 s): cpu ${pct(s.pressure.cpuSome)}, memory ${pct(s.pressure.memorySome)} some / ${pct(s.pressure.memoryFull)} full`);
  for (const g of s.gpus) {
    lines.push(`  gpu ${g.name} (${g.source}): busy ${pct(g.utilisation)}${g.clockMHz !== undefined ? `, ${g.clockMHz.toFixed(0)}${g.maxClockMHz ? `/${g.maxClockMHz.toFixed(0)}` : ""} MHz` : ""}${g.memoryUsedMB !== undefined ? `, ${g.memoryUsedMB}/${g.memoryTotalMB ?? "?"} MB` : ""}${g.powerW !== undefined ? `, ${g.powerW} W` : ""}${g.temperatureC !== undefined ? `, ${g.temperatureC} C` : ""}`);
  }
  if (s.emcMHz !== undefined) lines.push(`  emc: ${s.emcMHz.toFixed(0)} MHz`);
  for (const r of s.rails) lines.push(`  rail ${r.label}: ${r.powerW.toFixed(2)} W (${r.voltageMv} mV, ${r.currentMa} mA)`);
  for (const [k, why] of Object.entries(s.absent)) lines.push(`  absent: ${k} (${why})`);
  return lines;
}
