// Device profiles: what a machine's processors can do and what moving data between them costs.
// JSON with a versioned schema (`sparoa.device.v1`, documented in docs/devices.md). Bundled
// profiles live in src/devices/profiles/<name>.json; `loadProfile` also reads a path.
import { SparoaError } from "../../ir/sparoa-error.ts";
import { existsSync, readdirSync } from "node:fs";
import { FileReadError, readRegularFile } from "../../ir/read-file.ts";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { didYouMean } from "../../ir/names.ts";
import { OP_FAMILIES, type OpFamily } from "./op-family.ts";
import { cachedHostProfilePath, currentMachine, machineDifferences, type MachineKey, type ProfileMode } from "./host-machine.ts";
// Execution providers a processor may need: onnxruntime's names, one list.
import { EXECUTION_PROVIDERS, type ExecutionProvider } from "../../ort/provider-names.ts";

export const PROFILE_SCHEMA = "sparoa.device.v1";

/** Fraction of the roofline a family of kernels reaches on a processor. */
export interface Efficiency {
  /** Achieved / peak FLOP/s for large kernels, 0..1 (may exceed 1 only for a fitted host). */
  compute: number;
  /** Achieved / peak memory bandwidth, 0..1. */
  memory: number;
  /**
   * Work (MFLOP) at which a kernel reaches half of `compute`: small kernels cannot fill the
   * processor. Rate = peak x compute x W / (W + half). Absent or 0: no size effect.
   */
  computeHalfMflop?: number;
  /**
   * The share of `compute` that kernels far below `computeHalfMflop` still reach, 0..1: with
   * several intra-op threads, onnxruntime runs small kernels on one thread and large ones on all,
   * so small kernels are slower per FLOP without a fixed cost each. Rate = peak x compute x
   * (W + share x half) / (W + half). Absent or 0: the rate falls to 0 with W (a fixed cost of
   * half / rate per kernel).
   */
  computeSmallShare?: number;
}

/**
 * How zeros speed up a family's kernels on this processor: piecewise-linear speedup of the
 * compute time against the zero fraction. Absent for a family: its kernels are dense (no effect).
 */
export interface SparsityEffect {
  /** Which zero fraction the kernels exploit. */
  source: "weights" | "activations" | "combined";
  /** [zeroFraction, speedup] points, zero fractions ascending in 0..1, speedups >= 1. */
  points: [number, number][];
}

export interface ProcessorSpec {
  kind: "cpu" | "gpu";
  /** The onnxruntime execution provider that runs this processor's partitions. */
  executionProvider: ExecutionProvider;
  /** Threads (CPU) the figures were measured or quoted with. */
  threads?: number;
  /** Peak FLOP/s in GFLOP/s per element type (dtype short names: f32, f16, bf16, i8). */
  peakGflops: Record<string, number>;
  /** DRAM (or HBM) bandwidth in GB/s (1e9 bytes/s). */
  memoryBandwidthGBs: number;
  /** Per-kernel dispatch / launch overhead in microseconds. */
  dispatchUs: number;
  /** Efficiency per op family; `default` is required and covers families not listed. */
  efficiency: { default: Efficiency } & Partial<Record<OpFamily, Efficiency>>;
  /** Per-operator overrides for outliers within a family (e.g. LRN among the norms), by ONNX op type. */
  opEfficiency?: Record<string, Efficiency>;
  /** Families whose kernels here exploit zeros; families not listed are dense. */
  sparsity?: Partial<Record<OpFamily, SparsityEffect>>;
  /** Board/package power attributable to this processor, in watts. */
  powerW: { busy: number; idle: number };
  /**
   * Producer+consumer op pairs the runtime fuses on this processor (e.g. "Conv+Relu"): the
   * consumer costs nothing when it reads only its producer's output on the same processor.
   */
  fusion?: string[];
}

/** Data movement between two processors (both directions). */
export interface LinkSpec {
  between: [string, string];
  /** "separate": own memories over a bus (PCIe); "unified": one physical DRAM (Jetson). */
  memory: "separate" | "unified";
  /** Copy bandwidth in GB/s. On unified memory this is a DRAM-to-DRAM copy (read + write). */
  bandwidthGBs: number;
  /** Fixed cost per transfer (launch + synchronisation) in microseconds. */
  latencyUs: number;
  /** A DMA copy engine moves data while both processors compute; without one the consumer waits. */
  copyEngine: boolean;
  /** The runtime hands buffers over without copying (mapped/pinned unified memory): latency only. */
  zeroCopy?: boolean;
}

/**
 * Processors that share cores or memory bandwidth (CPU workers of one chip): while k of them run
 * at once, each runs slower. Slowdowns are measured by `sparoa profile` (src/profiler/contention.ts)
 * for a compute-bound and a memory-bound kernel; entry j is for j + 2 processors at once.
 */
export interface ContentionSpec {
  processors: string[];
  /** Time multiplier of compute-bound kernels (conv, matmul) with 2, 3, ... processors busy. */
  computeSlowdown: number[];
  /** Time multiplier of the other (memory-bound) kernels with 2, 3, ... processors busy. */
  memorySlowdown: number[];
}

/**
 * What a cut between partitions costs beyond the link and the run call, per op family on each
 * side of the cut: onnxruntime's layout reorders (NCHWc <-> NCHW around convolutions) and the
 * hand-off of the tensor between sessions. Half a measured F|F cut is charged for each side.
 */
export interface CutCostSpec {
  /** Fixed microseconds per side of a cut. */
  latencyUs: number;
  /** GB/s at which a side of a cut moves the crossing tensor (its bytes / this). */
  bandwidthGBs: number;
}

/** A measured latency that overrides the model for one (op, shapes) on one processor. */
export interface MeasuredEntry {
  processor: string;
  /** `opKey(node)`: `Op(in1shape,in2shape,...)->outshape`, e.g. `Conv(1x64x56x56,64x64x3x3)->1x64x56x56`. */
  key: string;
  ms: number;
}

export interface MeasurementInfo {
  date: string;
  host: string;
  onnxruntime: string;
  threads: number;
  quick: boolean;
  /** Execution providers tried and why each unavailable one was skipped. */
  providers: Record<string, string>;
  /** Fit quality: median absolute % error of the fitted model on the measured grid, per family. */
  fitErrorPct?: Record<string, number>;
  notes?: string;
  /** The machine the figures describe (the live host profile's cache key). */
  machine?: MachineKey;
  /** How much of the grid was measured (`quick` above is `mode === "quick"`). */
  mode?: ProfileMode;
  /** Grid measurements repeated this many times; every figure is the median over them. */
  repetitions?: number;
  /** How busy the machine was while measuring. */
  load?: MeasurementLoad;
  /**
   * Each fitted figure's spread over the repetitions, by the figure's path in the profile
   * (`runOverheadUs`, `processors.cpu.peakGflops.f32`, `processors.cpu.efficiency.conv.compute`).
   */
  spread?: Record<string, FigureSpread>;
  /**
   * Profiles of the bundled runtime's workers: a request's fixed cost through a worker beyond a
   * plain session (folded into runOverheadUs), and how much slower a worker's session runs than
   * a plain one (the processors' rates are divided by it). src/profiler/runtime-overhead.ts.
   */
  runtime?: { requestUs: number; slowdown: number };
}

/** The machine's load around a measurement: other work inflates every time measured. */
export interface MeasurementLoad {
  /** 1-minute load average before measuring, and its ratio to the cores. */
  load1Before: number;
  load1After: number;
  cores: number;
  /** Busy share of all cores over a short window just before measuring (other work only), 0..1. */
  busyBefore?: number;
  /** Share of CPU time the hypervisor gave to other guests during the measurement, 0..1. */
  steal?: number;
  /** True when any sign above says other work competed for the cores. */
  loaded: boolean;
  /** Why `loaded` is what it is, in words. */
  reason: string;
}

/** A fitted figure's median and spread over repetitions. */
export interface FigureSpread {
  median: number;
  min: number;
  max: number;
  /** Interquartile range (q3 - q1) over the repetitions. */
  iqr: number;
  /** (max - min) / median, in percent: how far apart the repetitions are. */
  rangePct: number;
}

export interface DeviceProfile {
  schema: typeof PROFILE_SCHEMA;
  name: string;
  description: string;
  /** The processor where model inputs arrive and outputs are read (usually the CPU). */
  host: string;
  /** Fixed cost per inference request (runtime entry, session.run) in microseconds. */
  runOverheadUs: number;
  /**
   * Cost of each further partition's run inside a request, µs (default runOverheadUs). Differs
   * where requests go through the bundled runtime's workers: the request pays the messages to
   * and from a worker once, each further partition only its session run.
   */
  partitionCallUs?: number;
  /**
   * GB/s of the bundled runtime's copy of a partition output that goes to more than one place
   * (kept for a later partition of its worker and sent to another, say): one copy per extra
   * destination into a fresh buffer, on the producing worker. Absent: no copies charged.
   */
  valueCopyGBs?: number;
  processors: Record<string, ProcessorSpec>;
  links: LinkSpec[];
  measuredTable?: MeasuredEntry[];
  /** Processors that slow each other when busy at once (src/sim/contention.ts). */
  contention?: ContentionSpec[];
  /** Cost of one side of a cut between partitions, by op family (`default` for the rest). */
  cutCosts?: { default: CutCostSpec } & Partial<Record<OpFamily, CutCostSpec>>;
  /** Present when the profile was produced by `sparoa profile` rather than from spec sheets. */
  measured?: MeasurementInfo;
  /** Where the figures come from (docs/devices.md has the full citations). */
  sources?: string[];
}

/** A profile that does not follow the schema; the message names the file and the field. */
export class ProfileError extends SparoaError {
  override name = "ProfileError";
}

const here = dirname(fileURLToPath(import.meta.url));
export const BUNDLED_PROFILE_DIR = join(here, "profiles");

/** The live profile of this machine: measured here on first use, never shipped (src/devices/host-machine.ts). */
export const HOST_PROFILE = "host";
/**
 * Two one-thread CPU workers (`cpu0`, `cpu1`) of this machine, with their measured contention
 * and cut costs: the live profile measured at one thread, split plans can run and be measured
 * here. Cached beside `host` like it.
 */
export const HOST_WORKERS_PROFILE = "host-2x1";
export const HOST_WORKERS = { threads: 1, workers: 2 } as const;

/** Names of the bundled spec-sheet profiles (file names without .json). */
export function bundledProfileNames(): string[] {
  if (!existsSync(BUNDLED_PROFILE_DIR)) return [];
  return readdirSync(BUNDLED_PROFILE_DIR).filter((f) => f.endsWith(".json")).map((f) => basename(f, ".json")).sort();
}

/** Every name `--device` takes: the bundled profiles and `host`. */
export function deviceNames(): string[] {
  return [...new Set([...bundledProfileNames(), HOST_PROFILE, HOST_WORKERS_PROFILE])].sort();
}

/**
 * A bundled profile by name (`orin-nano`, `agx-orin`, `h100-pcie`), `host` (this machine's
 * cached live profile: measuring it is async, `resolveDeviceProfile` in src/profiler/live-host.ts),
 * or a profile JSON file.
 */
export function loadProfile(nameOrPath: string): DeviceProfile {
  const known = deviceNames();
  let path: string;
  if (nameOrPath === HOST_PROFILE) return cachedHostProfile();
  if (nameOrPath === HOST_WORKERS_PROFILE) return cachedHostProfile(HOST_WORKERS.threads, HOST_WORKERS.workers);
  if (known.includes(nameOrPath)) path = join(BUNDLED_PROFILE_DIR, `${nameOrPath}.json`);
  else if ((nameOrPath.endsWith(".json") || nameOrPath.includes("/")) && existsSync(nameOrPath)) path = nameOrPath;
  else if (nameOrPath.endsWith(".json") || nameOrPath.includes("/")) throw new ProfileError(`${nameOrPath}: device profile file not found`);
  else throw new ProfileError(`unknown device '${nameOrPath}'${didYouMean(nameOrPath, known)}; known devices: ${known.join(", ")} (or give a path to a profile .json)`);
  let json: unknown;
  try {
    json = JSON.parse(readRegularFile(path, 16 * 2 ** 20, "device profile").toString("utf8"));
  } catch (e) {
    if (e instanceof FileReadError) throw new ProfileError(e.message);
    throw new ProfileError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return validateProfile(json, path);
}

/** The cached live host profile of this machine, or a ProfileError saying how to measure it. */
function cachedHostProfile(threads?: number, workers = 1): DeviceProfile {
  const path = cachedHostProfilePath(threads, workers);
  const measureIt = workers > 1 ? `run any command with --device ${HOST_WORKERS_PROFILE} to measure it` : "run 'sparoa profile --refresh' (or any command with --device host) to measure it";
  if (!path) throw new ProfileError(`the host profile is measured on this machine on first use and none is cached yet: ${measureIt}`);
  const profile = loadProfile(path);
  const recorded = profile.measured?.machine;
  const changed = recorded ? machineDifferences(recorded, currentMachine(threads)) : ["no machine key recorded"];
  if (changed.length > 0) throw new ProfileError(`the cached host profile ${path} describes this machine before a change (${changed.join(", ")}): ${measureIt}`);
  return profile;
}

/** Checks `json` against the schema; throws ProfileError naming `source` and the first bad field. */
export function validateProfile(json: unknown, source = "profile"): DeviceProfile {
  const fail = (field: string, what: string): never => { throw new ProfileError(`${source}: field '${field}' ${what}`); };
  const obj = (v: unknown, field: string): Record<string, unknown> => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) fail(field, "must be an object");
    return v as Record<string, unknown>;
  };
  const num = (v: unknown, field: string, opts: { min?: number; max?: number; positive?: boolean } = {}): number => {
    if (typeof v !== "number" || !Number.isFinite(v)) return fail(field, `must be a number (got ${JSON.stringify(v)})`);
    if (opts.positive && !(v > 0)) fail(field, `must be greater than 0 (got ${v})`);
    if (opts.min !== undefined && v < opts.min) fail(field, `must be at least ${opts.min} (got ${v})`);
    if (opts.max !== undefined && v > opts.max) fail(field, `must be at most ${opts.max} (got ${v})`);
    return v;
  };
  const str = (v: unknown, field: string): string => (typeof v === "string" && v !== "" ? v : fail(field, "must be a non-empty string"));

  const root = obj(json, "(root)");
  if (root.schema !== PROFILE_SCHEMA) fail("schema", `must be "${PROFILE_SCHEMA}" (got ${JSON.stringify(root.schema)})`);
  str(root.name, "name");
  if (typeof root.description !== "string") fail("description", "must be a string");
  num(root.runOverheadUs, "runOverheadUs", { min: 0 });
  if (root.partitionCallUs !== undefined) num(root.partitionCallUs, "partitionCallUs", { min: 0 });
  if (root.valueCopyGBs !== undefined) num(root.valueCopyGBs, "valueCopyGBs", { min: 1e-6 });
  const processors = obj(root.processors, "processors");
  const names = Object.keys(processors);
  if (names.length === 0) fail("processors", "must list at least one processor");
  for (const name of names) validateProcessor(processors[name], `processors.${name}`, { fail, obj, num, str });
  const host = str(root.host, "host");
  if (!names.includes(host)) fail("host", `names no processor ('${host}'; processors: ${names.join(", ")})`);

  if (!Array.isArray(root.links)) fail("links", "must be an array");
  const links = root.links as unknown[];
  links.forEach((l, i) => {
    const f = `links[${i}]`;
    const link = obj(l, f);
    if (!Array.isArray(link.between) || link.between.length !== 2) fail(`${f}.between`, "must be a pair of processor names");
    for (const [j, p] of (link.between as unknown[]).entries()) {
      if (typeof p !== "string" || !names.includes(p)) fail(`${f}.between[${j}]`, `names no processor (${JSON.stringify(p)}; processors: ${names.join(", ")})`);
    }
    if (link.memory !== "separate" && link.memory !== "unified") fail(`${f}.memory`, `must be "separate" or "unified"`);
    num(link.bandwidthGBs, `${f}.bandwidthGBs`, { positive: true });
    num(link.latencyUs, `${f}.latencyUs`, { min: 0 });
    if (typeof link.copyEngine !== "boolean") fail(`${f}.copyEngine`, "must be true or false");
    if (link.zeroCopy !== undefined && typeof link.zeroCopy !== "boolean") fail(`${f}.zeroCopy`, "must be true or false");
    if (link.zeroCopy === true && link.memory !== "unified") fail(`${f}.zeroCopy`, "is only possible on unified memory");
  });
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const [a, b] = [names[i]!, names[j]!];
      const found = links.some((l) => { const p = (l as LinkSpec).between; return (p[0] === a && p[1] === b) || (p[0] === b && p[1] === a); });
      if (!found) fail("links", `has no link between '${a}' and '${b}'`);
    }
  }
  if (root.measuredTable !== undefined) {
    if (!Array.isArray(root.measuredTable)) fail("measuredTable", "must be an array");
    (root.measuredTable as unknown[]).forEach((e, i) => {
      const entry = obj(e, `measuredTable[${i}]`);
      const p = str(entry.processor, `measuredTable[${i}].processor`);
      if (!names.includes(p)) fail(`measuredTable[${i}].processor`, `names no processor ('${p}')`);
      str(entry.key, `measuredTable[${i}].key`);
      num(entry.ms, `measuredTable[${i}].ms`, { min: 0 });
    });
  }
  if (root.contention !== undefined) {
    if (!Array.isArray(root.contention)) fail("contention", "must be an array");
    (root.contention as unknown[]).forEach((c, i) => {
      const f = `contention[${i}]`;
      const group = obj(c, f);
      if (!Array.isArray(group.processors) || group.processors.length < 2) fail(`${f}.processors`, "must list at least two processor names");
      for (const [j, p] of (group.processors as unknown[]).entries()) {
        if (typeof p !== "string" || !names.includes(p)) fail(`${f}.processors[${j}]`, `names no processor (${JSON.stringify(p)}; processors: ${names.join(", ")})`);
      }
      for (const key of ["computeSlowdown", "memorySlowdown"] as const) {
        if (!Array.isArray(group[key]) || (group[key] as unknown[]).length === 0) fail(`${f}.${key}`, "must be a non-empty array of slowdowns for 2, 3, ... processors at once");
        (group[key] as unknown[]).forEach((x, j) => num(x, `${f}.${key}[${j}]`, { min: 1, max: 100 }));
      }
    });
  }
  if (root.cutCosts !== undefined) {
    const cuts = obj(root.cutCosts, "cutCosts");
    if (cuts.default === undefined) fail("cutCosts.default", "is required");
    for (const [family, c] of Object.entries(cuts)) {
      const cf = `cutCosts.${family}`;
      if (family !== "default" && !OP_FAMILIES.includes(family as OpFamily)) fail(cf, `is not an op family (families: ${OP_FAMILIES.join(", ")})`);
      const x = obj(c, cf);
      num(x.latencyUs, `${cf}.latencyUs`, { min: 0 });
      num(x.bandwidthGBs, `${cf}.bandwidthGBs`, { positive: true });
    }
  }
  if (root.measured !== undefined) {
    const m = obj(root.measured, "measured");
    str(m.date, "measured.date");
    num(m.threads, "measured.threads", { positive: true });
    obj(m.providers, "measured.providers");
  }
  return json as DeviceProfile;
}

interface Checkers {
  fail: (field: string, what: string) => never;
  obj: (v: unknown, field: string) => Record<string, unknown>;
  num: (v: unknown, field: string, opts?: { min?: number; max?: number; positive?: boolean }) => number;
  str: (v: unknown, field: string) => string;
}

function validateProcessor(v: unknown, f: string, { fail, obj, num }: Checkers): void {
  const p = obj(v, f);
  if (p.kind !== "cpu" && p.kind !== "gpu") fail(`${f}.kind`, `must be "cpu" or "gpu" (got ${JSON.stringify(p.kind)})`);
  if (!EXECUTION_PROVIDERS.includes(p.executionProvider as ExecutionProvider)) fail(`${f}.executionProvider`, `must be one of ${EXECUTION_PROVIDERS.join(", ")} (got ${JSON.stringify(p.executionProvider)})`);
  if (p.threads !== undefined) num(p.threads, `${f}.threads`, { positive: true });
  const peak = obj(p.peakGflops, `${f}.peakGflops`);
  if (peak.f32 === undefined) fail(`${f}.peakGflops.f32`, "is required");
  for (const [k, x] of Object.entries(peak)) num(x, `${f}.peakGflops.${k}`, { positive: true });
  num(p.memoryBandwidthGBs, `${f}.memoryBandwidthGBs`, { positive: true });
  num(p.dispatchUs, `${f}.dispatchUs`, { min: 0 });
  const eff = obj(p.efficiency, `${f}.efficiency`);
  if (eff.default === undefined) fail(`${f}.efficiency.default`, "is required");
  for (const [family, e] of Object.entries(eff)) {
    const ef = `${f}.efficiency.${family}`;
    if (family !== "default" && !OP_FAMILIES.includes(family as OpFamily)) fail(ef, `is not an op family (families: ${OP_FAMILIES.join(", ")})`);
    const x = obj(e, ef);
    num(x.compute, `${ef}.compute`, { positive: true, max: 4 });
    num(x.memory, `${ef}.memory`, { positive: true, max: 4 });
    if (x.computeHalfMflop !== undefined) num(x.computeHalfMflop, `${ef}.computeHalfMflop`, { min: 0 });
    if (x.computeSmallShare !== undefined) num(x.computeSmallShare, `${ef}.computeSmallShare`, { min: 0, max: 1 });
  }
  if (p.opEfficiency !== undefined) {
    for (const [op, e] of Object.entries(obj(p.opEfficiency, `${f}.opEfficiency`))) {
      const x = obj(e, `${f}.opEfficiency.${op}`);
      num(x.compute, `${f}.opEfficiency.${op}.compute`, { positive: true, max: 4 });
      num(x.memory, `${f}.opEfficiency.${op}.memory`, { positive: true, max: 4 });
      if (x.computeHalfMflop !== undefined) num(x.computeHalfMflop, `${f}.opEfficiency.${op}.computeHalfMflop`, { min: 0 });
      if (x.computeSmallShare !== undefined) num(x.computeSmallShare, `${f}.opEfficiency.${op}.computeSmallShare`, { min: 0, max: 1 });
    }
  }
  if (p.sparsity !== undefined) {
    for (const [family, s] of Object.entries(obj(p.sparsity, `${f}.sparsity`))) {
      const sf = `${f}.sparsity.${family}`;
      if (!OP_FAMILIES.includes(family as OpFamily)) fail(sf, `is not an op family (families: ${OP_FAMILIES.join(", ")})`);
      const x = obj(s, sf);
      if (!["weights", "activations", "combined"].includes(x.source as string)) fail(`${sf}.source`, `must be "weights", "activations" or "combined"`);
      if (!Array.isArray(x.points) || x.points.length === 0) fail(`${sf}.points`, "must be a non-empty array of [zeroFraction, speedup]");
      let last = -1;
      (x.points as unknown[]).forEach((pt, i) => {
        if (!Array.isArray(pt) || pt.length !== 2) fail(`${sf}.points[${i}]`, "must be [zeroFraction, speedup]");
        const [z, s2] = pt as unknown[];
        const zf = num(z, `${sf}.points[${i}][0]`, { min: 0, max: 1 });
        num(s2, `${sf}.points[${i}][1]`, { min: 1 });
        if (zf <= last) fail(`${sf}.points[${i}][0]`, "must be greater than the previous zero fraction");
        last = zf;
      });
    }
  }
  const power = obj(p.powerW, `${f}.powerW`);
  num(power.busy, `${f}.powerW.busy`, { min: 0 });
  num(power.idle, `${f}.powerW.idle`, { min: 0 });
  if (p.fusion !== undefined) {
    if (!Array.isArray(p.fusion)) fail(`${f}.fusion`, "must be an array of \"Producer+Consumer\" op pairs");
    (p.fusion as unknown[]).forEach((x, i) => {
      if (typeof x !== "string" || !/^[A-Za-z0-9_]+\+[A-Za-z0-9_]+$/.test(x)) fail(`${f}.fusion[${i}]`, `must look like "Conv+Relu" (got ${JSON.stringify(x)})`);
    });
  }
}

/** The link between two processors (either order). */
export function linkBetween(profile: DeviceProfile, a: string, b: string): LinkSpec | undefined {
  return profile.links.find((l) => (l.between[0] === a && l.between[1] === b) || (l.between[0] === b && l.between[1] === a));
}

/** Processor names of a kind, in profile order. */
export function processorsOfKind(profile: DeviceProfile, kind: "cpu" | "gpu"): string[] {
  return Object.entries(profile.processors).filter(([, p]) => p.kind === kind).map(([n]) => n);
}

/** Milliseconds to move `bytes` from `from` to `to` (0 on the same processor). */
export function transferMs(profile: DeviceProfile, from: string, to: string, bytes: number): number {
  if (from === to) return 0;
  const link = linkBetween(profile, from, to);
  if (!link) throw new ProfileError(`profile '${profile.name}': no link between '${from}' and '${to}'`);
  const copy = link.zeroCopy ? 0 : bytes / (link.bandwidthGBs * 1e9);
  return link.latencyUs / 1000 + copy * 1000;
}

/**
 * One line saying that `profile` was measured on another machine than this one (or on this one
 * before a change that moves its figures: onnxruntime, threads), undefined when it describes this
 * machine or is not a measured profile at all (spec-sheet profiles describe their own device).
 */
export function otherMachineNote(profile: DeviceProfile, source = profile.name): string | undefined {
  const m = profile.measured;
  if (!m) return undefined;
  if (m.machine) {
    const changed = machineDifferences(m.machine, currentMachine(m.machine.threads));
    return changed.length ? `profile ${source} was measured on a machine this one is not (${changed.join(", ")}): its predictions describe that machine` : undefined;
  }
  // Profiles written before machine keys: the host line starts "<CPU model> x<cores>,".
  const here = currentMachine();
  return m.host.startsWith(`${here.cpuModel} x${here.cores},`) ? undefined : `profile ${source} was measured on ${m.host.split(",")[0]}, not this machine (${here.cpuModel} x${here.cores}): its predictions describe that machine`;
}
