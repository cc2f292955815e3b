// `sparoa profile`'s engine: measures this machine through onnxruntime for every execution
// provider that works here, fits the latency model's parameters, and returns a device profile.
import { cpus, availableParallelism, loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import type { Model } from "../../ir/model.ts";
import { NodeKey, numberAnnotation } from "../../ir/annotation-keys.ts";
import "../../passes/index.ts";
import { PassManager } from "../../passes/manager.ts";
import { instantiate, parsePipeline } from "../../passes/pipeline.ts";
import { lookupPass } from "../../passes/registry.ts";
import { opKey } from "../devices/latency.ts";
import { OP_FAMILIES } from "../devices/op-family.ts";
import { PROFILE_SCHEMA, validateProfile, type DeviceProfile, type LinkSpec, type MeasuredEntry, type ProcessorSpec, type SparsityEffect } from "../devices/profile.ts";
import type { ExecutionProvider } from "../../ort/provider-names.ts";
import { fitProcessor, round3, type Sample } from "./fit.ts";
import { dispatchModel, handoffModels, profileGrid, type GridCase } from "./grid.ts";
import { FULL_TIMING, QUICK_TIMING, kernelSamples, lowPercentile, median, timeModels, type TimingOptions } from "./measure.ts";
import { UnavailableProviderError } from "./providers.ts";
import { probeProviders, type ProviderStatus } from "../../ort/providers.ts";
import { onnxruntimeVersion } from "../../ort/session.mjs";

export interface ProfileHostOptions {
  quick?: boolean;
  /** Intra-op threads per session (default: all cores). */
  threads?: number;
  /** Model this many CPU workers (cpu0, cpu1, ...) of `threads` each instead of one `cpu`. */
  workers?: number;
  name?: string;
  /** Execution providers to measure (default: every one onnxruntime-node knows). */
  providers?: readonly string[];
  onStep?: (label: string) => void;
  /** Steps the caller's progress bar should expect (set before measuring starts). */
  onPlan?: (steps: number) => void;
}

export interface CaseResult { id: string; family: string; perOpMs: number; samples: number; gflops: number; gbs: number }

export interface HostProfileResult {
  profile: DeviceProfile;
  providers: Record<string, ProviderStatus>;
  cases: CaseResult[];
  sparsity: { id: string; speedup: number }[];
}

const HEAVY_MFLOP = 150;
/** Speedup the sparsest variant must show before a sparsity effect is recorded. */
export const SPARSITY_EVIDENCE = 1.3;

export async function profileHost(o: ProfileHostOptions = {}): Promise<HostProfileResult> {
  const quick = o.quick ?? false;
  const threads = o.threads ?? availableParallelism();
  const workers = o.workers ?? 1;
  const requested = o.providers ?? ["cpu", "webgpu", "cuda", "tensorrt", "xnnpack"];
  const providers = probeProviders(requested);
  const usable = requested.filter((ep) => providers[ep]?.available);
  if (usable.length === 0) {
    throw new UnavailableProviderError(`no requested execution provider works on this machine: ${requested.map((ep) => `${ep}: ${providers[ep]?.reason}`).join("; ")}`);
  }
  const grid = profileGrid(quick);
  o.onPlan?.(usable.length * (grid.length * 2 + 2) + (workers > 1 ? 2 : 0));
  const timing = quick ? QUICK_TIMING : FULL_TIMING;

  const processors: Record<string, ProcessorSpec> = {};
  const table: MeasuredEntry[] = [];
  let runOverheadUs = 0;
  let cases: CaseResult[] = [];
  let sparsity: { id: string; speedup: number }[] = [];
  const fitErrorPct: Record<string, number> = {};
  for (const ep of usable) {
    const t: TimingOptions = { ...timing, threads, executionProvider: ep };
    const kind = ep === "cpu" || ep === "xnnpack" ? "cpu" : "gpu";
    o.onStep?.(`${ep}: dispatch overhead`);
    // Per-kernel overhead: the slope of session time over chains of 1 and 64 tiny Adds (long runs:
    // the difference of two small times needs many samples).
    const [one, many] = await timeModels([{ model: dispatchModel(1) }, { model: dispatchModel(64) }], { ...t, minMs: Math.max(t.minMs, 200) }) as [number, number];
    const dispatchUs = round3(Math.max(0.1, ((many - one) / 63) * 1000));
    runOverheadUs = Math.max(runOverheadUs, round3(Math.max(0, one * 1000 - dispatchUs)));
    // onnxruntime's profiler itself adds a few microseconds to every kernel it times: a 16-element
    // Add does almost no work, so its profiled time is that overhead, taken off every sample.
    const profilerOverheadMs = await profilerOverhead(t);
    o.onStep?.(`${ep}: dispatch overhead`);

    const measured = await measureGrid(grid, t, profilerOverheadMs, (label) => o.onStep?.(`${ep}: ${label}`));
    const fit = fitProcessor(measured.samples, dispatchUs);
    for (const [f, e] of Object.entries(fit.fitErrorPct)) fitErrorPct[`${ep}.${f}`] = e;
    const spec: ProcessorSpec = {
      kind, executionProvider: ep as ExecutionProvider, threads,
      peakGflops: { f32: fit.peakGflops }, memoryBandwidthGBs: fit.memoryBandwidthGBs, dispatchUs,
      efficiency: fit.efficiency, opEfficiency: Object.keys(fit.opEfficiency).length ? fit.opEfficiency : undefined, sparsity: sparsityEffects(measured.speedups, grid),
      powerW: assumedPower(threads),
      fusion: ["Conv+BatchNormalization", "Conv+Relu", "Conv+Clip", "Conv+LeakyRelu", "Conv+Sigmoid", "Conv+HardSigmoid", "Conv+Tanh", "Conv+Add", "Conv+Mul", "Gemm+Relu", "Gemm+Clip", "MatMul+Add"],
    };
    if (Object.keys(spec.sparsity!).length === 0) delete spec.sparsity;
    const names = workers > 1 && kind === "cpu" ? Array.from({ length: workers }, (_, i) => `cpu${i}`) : [kind];
    for (const name of names) {
      processors[name] = structuredClone(spec);
      for (const m of measured.table) table.push({ processor: name, key: m.key, ms: m.ms });
    }
    cases = measured.cases;
    sparsity = measured.speedups;
  }

  const names = Object.keys(processors);
  const links: LinkSpec[] = [];
  if (names.length > 1) {
    o.onStep?.("worker message latency");
    const hop = await workerHopUs();
    o.onStep?.("partition hand-off cost");
    // Bytes moving between CPU workers cost what the slower of a plain copy and a session
    // boundary's layout round trip costs.
    const bandwidth = Math.min(memcpyGBs(), await handoffGBs({ ...timing, threads, executionProvider: "cpu" }, runOverheadUs));
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        links.push({ between: [names[i]!, names[j]!], memory: "unified", bandwidthGBs: bandwidth, latencyUs: hop, copyEngine: false, zeroCopy: true });
      }
    }
  }
  const cpuModel = cpus()[0]?.model ?? "unknown CPU";
  const profile: DeviceProfile = {
    schema: PROFILE_SCHEMA,
    name: o.name ?? "host",
    description: `This machine as measured by sparoa profile: ${cpuModel}, ${availableParallelism()} cores; onnxruntime-node ${onnxruntimeVersion()} (${usable.join(", ")}), ${threads} intra-op thread(s)${workers > 1 ? ` per worker, ${workers} workers` : ""}`,
    host: names.includes("cpu") ? "cpu" : names[0]!,
    runOverheadUs,
    processors,
    links,
    measuredTable: table,
    measured: {
      date: new Date().toISOString().slice(0, 10),
      host: `${cpuModel} x${availableParallelism()}, ${process.platform}-${process.arch}, node ${process.version}`,
      onnxruntime: onnxruntimeVersion(),
      threads,
      quick,
      providers: Object.fromEntries(Object.entries(providers).map(([k, s]) => [k, s.available ? "measured" : `unavailable: ${s.reason}`])),
      fitErrorPct,
      notes: `Load average when measured: ${loadavg().map((x) => x.toFixed(1)).join(", ")} on ${availableParallelism()} cores. Per-op times are the 10th percentile of onnxruntime's own per-kernel profile over chains of copies, less the profiler's own per-kernel overhead (no session overhead). Power is not measured here (no power sensors): busy/idle watts are assumptions. Other work on the machine inflates times; rerun when it is quiet.`,
    },
  };
  return { profile: validateProfile(profile, "measured profile"), providers, cases, sparsity };
}

/** FLOPs and bytes of a single-op model's node from the cost pass (undefined if it has no formula). */
async function costOf(model: Model): Promise<{ flops: number; bytes: number } | undefined> {
  if (!lookupPass("cost")) return undefined;
  await new PassManager(instantiate(parsePipeline("shape-inference,cost"))).run(model);
  const node = model.graph.nodes[0]!;
  const flops = numberAnnotation(node, NodeKey.flops);
  if (flops === undefined) return undefined;
  const bytes = (numberAnnotation(node, NodeKey.bytesRead) ?? 0) + (numberAnnotation(node, NodeKey.bytesWeights) ?? 0) + (numberAnnotation(node, NodeKey.bytesWritten) ?? 0);
  return { flops, bytes };
}

/** What onnxruntime's profiler adds to each kernel it times, in ms (see measureGrid). */
export async function profilerOverhead(t: TimingOptions): Promise<number> {
  return lowPercentile(await kernelSamples(dispatchModel(64), t, "Add"));
}

async function measureGrid(grid: GridCase[], t: TimingOptions, profilerOverheadMs: number, step: (label: string) => void) {
  const samples: Sample[] = [];
  const table: { key: string; ms: number }[] = [];
  const cases: CaseResult[] = [];
  const speedups: { id: string; speedup: number }[] = [];
  const byId = new Map(grid.map((c) => [c.id, c]));
  for (const c of grid) {
    step(c.id);
    const model1 = c.build(1);
    if (c.sparsityOf) {
      // Sparse and dense variants timed in alternation: the ratio is what matters.
      const base = byId.get(c.sparsityOf)!;
      // Timed in both orders; the smaller ratio counts, so load that hit one side cannot fake an effect.
      const dense = { model: base.build(1), inputSparsity: base.inputSparsity };
      const sparse = { model: model1, inputSparsity: c.inputSparsity };
      const [d1, s1] = await timeModels([dense, sparse], t) as [number, number];
      const [s2, d2] = await timeModels([sparse, dense], t) as [number, number];
      speedups.push({ id: c.id, speedup: round3(Math.min(d1 / s1, d2 / s2)) });
      step(c.id);
      continue;
    }
    // onnxruntime's profiler times each kernel; a chain of copies gives several samples per run.
    const k = c.flops / 1e6 > HEAVY_MFLOP ? 2 : 4;
    const kernels = await kernelSamples(c.build(k), t, c.opType, c.inputSparsity);
    let perOp: number;
    if (kernels.length >= 3) perOp = Math.max(1e-4, lowPercentile(kernels) - profilerOverheadMs);
    else {
      // The provider's kernels are not in the profile (fused away or renamed): time whole runs.
      const [t1, tk] = await timeModels([{ model: model1, inputSparsity: c.inputSparsity }, { model: c.build(k), inputSparsity: c.inputSparsity }], t) as [number, number];
      perOp = Math.max((tk - t1) / (k - 1), 1e-4);
    }
    step(c.id);
    // Fit against the cost pass's own counts, the figures the latency model will be given.
    const counted = await costOf(model1);
    const flops = counted?.flops ?? c.flops;
    const bytes = counted?.bytes ?? c.bytesRead + c.bytesWeights + c.bytesWritten;
    samples.push({ family: c.family, flops, bytes, ms: perOp, ownOp: c.ownOp });
    table.push({ key: opKey(model1.graph.nodes[0]!), ms: round3(perOp) });
    cases.push({ id: c.id, family: c.family, perOpMs: round3(perOp), samples: kernels.length, gflops: round3(flops / perOp / 1e6), gbs: round3(bytes / perOp / 1e6) });
  }
  return { samples, table, cases, speedups };
}

/**
 * Sparsity effect per family from the sparse variants of the grid: recorded only where zeros
 * made the kernel clearly faster (SPARSITY_EVIDENCE); dense kernels get none.
 */
function sparsityEffects(speedups: { id: string; speedup: number }[], grid: GridCase[]): Partial<Record<(typeof OP_FAMILIES)[number], SparsityEffect>> {
  const out: Partial<Record<(typeof OP_FAMILIES)[number], SparsityEffect>> = {};
  const byCase = new Map(grid.map((c) => [c.id, c]));
  for (const source of ["weights", "activations"] as const) {
    for (const family of OP_FAMILIES) {
      const pts = speedups
        .map((s) => ({ c: byCase.get(s.id)!, s: s.speedup }))
        .filter(({ c }) => c.family === family && (source === "weights" ? c.weightSparsity > 0 : c.inputSparsity > 0))
        .map(({ c, s }) => [source === "weights" ? c.weightSparsity : c.inputSparsity, s] as [number, number]);
      // Dense kernels vary by noise alone; an effect counts only when the sparsest variant is 30% faster.
      const sparsest = pts.reduce((a, b) => (b[0] > a[0] ? b : a), [0, 1] as [number, number]);
      if (pts.length === 0 || sparsest[1] < SPARSITY_EVIDENCE || out[family]) continue;
      const points: [number, number][] = [[0, 1], ...pts.sort((a, b) => a[0] - b[0]).map(([z, s]) => [z, Math.max(1, s)] as [number, number])];
      out[family] = { source, points };
    }
  }
  return out;
}

/** No power sensors are readable here: a desktop/server core's typical draw, stated as an assumption. */
function assumedPower(threads: number): { busy: number; idle: number } {
  return { busy: 8 * threads, idle: 2 * threads };
}

/** One-way latency of a worker_threads message carrying a transferred ArrayBuffer, in us. */
/**
 * One-way latency of a message to a worker thread that was idle, as a runtime worker waiting
 * for a peer's value is: each ping follows a few milliseconds of quiet. A thread that has gone
 * to sleep wakes far slower than one kept busy by back-to-back pings (on the 2-core VM this was
 * written on: ~120 us against ~35 us).
 */
async function workerHopUs(idleMs = 5): Promise<number> {
  const worker = new Worker("const { parentPort } = require('node:worker_threads'); parentPort.on('message', (b) => parentPort.postMessage(b, [b]));", { eval: true });
  try {
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      await new Promise((resolve) => setTimeout(resolve, idleMs));
      const buf = new ArrayBuffer(4096);
      const t = performance.now();
      await new Promise<void>((resolve) => { worker.once("message", () => resolve()); worker.postMessage(buf, [buf]); });
      if (i >= 10) times.push(((performance.now() - t) / 2) * 1000);
    }
    return round3(median(times));
  } finally {
    await worker.terminate();
  }
}

/**
 * Effective GB/s of handing an activation across a session boundary: two one-conv sessions in
 * sequence against the same two convs in one session, less one run call (charged separately).
 */
async function handoffGBs(t: TimingOptions, runOverheadUs: number): Promise<number> {
  const { whole, half, bytes } = handoffModels();
  const [wholeMs, halfMs] = await timeModels([{ model: whole }, { model: half }], { ...t, minMs: Math.max(t.minMs, 200) }) as [number, number];
  const extraMs = Math.max(1e-3, 2 * halfMs - wholeMs - runOverheadUs / 1000);
  return round3(Math.min(100, bytes / extraMs / 1e6));
}

/** Memory copy bandwidth (GB/s) of a 64 MB buffer copy, counting read + write. */
function memcpyGBs(): number {
  const a = new Uint8Array(64 << 20).fill(1);
  const b = new Uint8Array(64 << 20);
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    b.set(a);
    times.push(performance.now() - t);
  }
  return round3((2 * a.length) / (median(times) / 1000) / 1e9);
}
