// `sparoa profile`'s engine: measures this machine through onnxruntime for every execution
// provider that works here, fits the latency model's parameters, and returns a device profile.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Model } from "../../ir/model.ts";
import { NodeKey, numberAnnotation } from "../../ir/annotation-keys.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { PassManager } from "../../passes/manager.ts";
import { instantiate, parsePipeline } from "../../passes/pipeline.ts";
import { lookupPass } from "../../passes/registry.ts";
import { opKey } from "../devices/latency.ts";
import { currentMachine, type ProfileMode } from "../devices/host-machine.ts";
import { OP_FAMILIES } from "../devices/op-family.ts";
import { PROFILE_SCHEMA, validateProfile, type DeviceProfile, type Efficiency, type FigureSpread, type LinkSpec, type MeasuredEntry, type MeasurementInfo, type ProcessorSpec, type SparsityEffect } from "../devices/profile.ts";
import type { ExecutionProvider } from "../../ort/provider-names.ts";
import { measureContention } from "./contention.ts";
import { measureCutCosts } from "./cut-cost.ts";
import { measureRuntimeOverhead } from "./runtime-overhead.ts";
import { fitProcessor, round3, type FittedProcessor, type Sample } from "./fit.ts";
import { perOpTruth, truthSamples } from "./per-op.ts";
import { generateZooModel, ZOO_PRESETS, type ZooPreset, type ZooSpec } from "../zoo/index.ts";
import { dispatchModel, handoffModels, profileGrid, type GridCase } from "./grid.ts";
import { finishLoadReport, probeLoadBefore } from "./load.ts";
import { FULL_TIMING, QUICK_TIMING, SMOKE_TIMING, kernelSamples, lowPercentile, median, quantile, timeModels, type TimingOptions } from "./measure.ts";
import { modelBytes } from "../../ir/onnx/file.ts";
import { UnavailableProviderError } from "./profile-runnable.ts";
import { probeProviders, type ProviderStatus } from "../../ort/providers.ts";
import { onnxruntimeVersion } from "../../ort/session.mjs";

export interface ProfileHostOptions {
  /** How much to measure: full (default), quick, or smoke (seconds; for tests). */
  mode?: ProfileMode;
  /** Same as mode "quick" (kept for callers written before modes). */
  quick?: boolean;
  /** Intra-op threads per session (default: all cores). */
  threads?: number;
  /** Repetitions of the whole grid (default: 3 full, 2 quick, 1 smoke). */
  repetitions?: number;
  /** Model this many CPU workers (cpu0, cpu1, ...) of `threads` each instead of one `cpu`. */
  workers?: number;
  name?: string;
  /**
   * Also fit the efficiency curves on the kernels of whole generated models (src/zoo presets,
   * profiled by onnxruntime: src/profiler/per-op.ts), beside the single-op grid. Default true.
   */
  calibrate?: boolean;
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
/** What onnxruntime's CPU provider fuses at graph optimisation level "all". */
export const ORT_FUSIONS = ["Conv+BatchNormalization", "Conv+Relu", "Conv+Clip", "Conv+LeakyRelu", "Conv+Sigmoid", "Conv+HardSigmoid", "Conv+Tanh", "Conv+Add", "Conv+Mul", "Gemm+Relu", "Gemm+Clip", "MatMul+Add", "Add+LayerNormalization"];
const CONTENTION_STEPS = 4;
const CUT_STEPS = 10;
/** The one-Add model and each calibration model (smoke: the first only), through a worker and plain. */
const runtimeSteps = (mode: ProfileMode) => 1 + (mode === "smoke" ? 1 : CALIBRATION_MODELS.length);
/** Chains of kernels with more weights than this get two copies (the weights dominate the model's size). */
const HEAVY_WEIGHT_BYTES = 16e6;
/** Repetitions of the whole grid per mode: every figure is the median over them, with its spread. */
export const REPETITIONS: Record<ProfileMode, number> = { full: 3, quick: 2, smoke: 1 };
/** Speedup the sparsest variant must show before a sparsity effect is recorded. */
export const SPARSITY_EVIDENCE = 1.3;

export async function profileHost(o: ProfileHostOptions = {}): Promise<HostProfileResult> {
  const mode: ProfileMode = o.mode ?? (o.quick ? "quick" : "full");
  const quick = mode === "quick";
  const threads = o.threads ?? availableParallelism();
  const workers = o.workers ?? 1;
  // The smoke mode exercises the path in seconds: probing every provider's child process is most of that.
  const requested = o.providers ?? (mode === "smoke" ? ["cpu"] : ["cpu", "webgpu", "cuda", "tensorrt", "xnnpack"]);
  const providers = probeProviders(requested);
  const usable = requested.filter((ep) => providers[ep]?.available);
  if (usable.length === 0) {
    throw new UnavailableProviderError(`no requested execution provider works on this machine: ${requested.map((ep) => `${ep}: ${providers[ep]?.reason}`).join("; ")}`);
  }
  const grid = profileGrid(mode);
  const repetitions = Math.max(1, Math.round(o.repetitions ?? REPETITIONS[mode]));
  // Calibration on whole models is skipped in the smoke mode (seconds, for tests).
  const calibrate = o.calibrate ?? mode !== "smoke";
  o.onPlan?.(usable.length * (grid.length + repetitions * (grid.length + 1) + (calibrate ? repetitions * CALIBRATION_MODELS.length : 0)) + (workers > 1 ? 2 + CONTENTION_STEPS + CUT_STEPS + runtimeSteps(mode) : 0));
  const timing = mode === "smoke" ? SMOKE_TIMING : quick ? QUICK_TIMING : FULL_TIMING;
  // Long enough windows for a difference of two small times; the smoke mode only checks the path.
  const longMs = mode === "smoke" ? 20 : 150;
  const loadBefore = await probeLoadBefore();

  const processors: Record<string, ProcessorSpec> = {};
  const table: MeasuredEntry[] = [];
  let runOverheadUs = 0;
  let cases: CaseResult[] = [];
  let sparsity: { id: string; speedup: number }[] = [];
  const fitErrorPct: Record<string, number> = {};
  const perRep: Record<string, number[]> = {};
  for (const ep of usable) {
    const t: TimingOptions = { ...timing, threads, executionProvider: ep };
    const kind = ep === "cpu" || ep === "xnnpack" ? "cpu" : "gpu";
    const prepared = await prepareGrid(grid, (label) => o.onStep?.(`${ep}: preparing ${label}`));
    // Repetitions of the whole grid one after the other (not of each kernel back to back), so a
    // burst of other work hits one repetition of many kernels rather than every repetition of one.
    const reps: Repetition[] = [];
    for (let r = 0; r < repetitions; r++) {
      const label = (what: string) => `${ep}: ${repetitions > 1 ? `repetition ${r + 1}/${repetitions}: ` : ""}${what}`;
      o.onStep?.(label("dispatch overhead"));
      // Per-kernel overhead: the slope of session time over chains of 1 and 64 tiny Adds (long runs:
      // the difference of two small times needs many samples).
      const [one, many] = await timeModels([{ model: dispatchModel(1) }, { model: dispatchModel(64) }], { ...t, minMs: Math.max(t.minMs, longMs) }) as [number, number];
      const dispatchUs = Math.max(0.1, ((many - one) / 63) * 1000);
      // onnxruntime's profiler itself adds a few microseconds to every kernel it times: a 16-element
      // Add does almost no work, so its profiled time is that overhead, taken off every sample.
      const profilerOverheadMs = await profilerOverhead(t);
      reps.push({ dispatchUs, runOverheadUs: Math.max(0, one * 1000 - dispatchUs), ...await measureGrid(prepared, t, profilerOverheadMs, r === 0, (id) => o.onStep?.(label(id))) });
    }
    const dispatchUs = round3(median(reps.map((r) => r.dispatchUs)));
    runOverheadUs = Math.max(runOverheadUs, round3(median(reps.map((r) => r.runOverheadUs))));
    // The profile is fitted to each kernel's median over the repetitions; each repetition is
    // also fitted on its own, and the spread of those fits is what `measured.spread` reports.
    // (Tried: each kernel's fastest repetition, against a slow phase of the VM: whole models then
    // ran slower than predicted in 22 and 30 of 34 single-device rows, docs/benchmarks.md.)
    const timed = prepared.filter((p) => !p.c.sparsityOf);
    const medianMs = new Map(timed.map((p) => [p.c.id, median(reps.map((r) => r.ms.get(p.c.id)!))]));
    const samplesOf = (ms: (id: string) => number): Sample[] => timed.map((p) => ({ ...p.sample, ms: ms(p.c.id) }));
    const gridSamples = samplesOf((id) => medianMs.get(id)!);
    let fit = fitProcessor(gridSamples, dispatchUs);
    if (calibrate) {
      const extra = await calibrationSamples(fit, dispatchUs, t, await profilerOverhead(t), repetitions, (label) => o.onStep?.(`${ep}: ${label}`));
      fit = fitProcessor([...gridSamples, ...extra], dispatchUs);
    }
    const repFits = reps.map((r) => fitProcessor(samplesOf((id) => r.ms.get(id)!), round3(r.dispatchUs)));
    for (const [f, e] of Object.entries(fit.fitErrorPct)) fitErrorPct[`${ep}.${f}`] = e;
    const speedups = prepared.filter((p) => p.c.sparsityOf).map((p) => ({ id: p.c.id, speedup: round3(reps[0]!.speedups.get(p.c.id)!) }));
    const spec: ProcessorSpec = {
      kind, executionProvider: ep as ExecutionProvider, threads,
      peakGflops: { f32: fit.peakGflops }, memoryBandwidthGBs: fit.memoryBandwidthGBs, dispatchUs,
      efficiency: fit.efficiency, opEfficiency: Object.keys(fit.opEfficiency).length ? fit.opEfficiency : undefined, sparsity: sparsityEffects(speedups, grid),
      powerW: assumedPower(threads),
      fusion: ORT_FUSIONS,
    };
    if (Object.keys(spec.sparsity!).length === 0) delete spec.sparsity;
    const names = workers > 1 && kind === "cpu" ? Array.from({ length: workers }, (_, i) => `cpu${i}`) : [kind];
    for (const name of names) {
      processors[name] = structuredClone(spec);
      for (const p of timed) if (p.key !== undefined) table.push({ processor: name, key: p.key, ms: round3(medianMs.get(p.c.id)!) });
      reps.forEach((r, i) => {
        const figures = fittedFigures(repFits[i]!, r.dispatchUs);
        for (const [path, x] of Object.entries(figures)) (perRep[`processors.${name}.${path}`] ??= []).push(x);
      });
    }
    (perRep.runOverheadUs ??= []).push(...reps.map((r) => r.runOverheadUs));
    cases = timed.map((p) => {
      const ms = round3(medianMs.get(p.c.id)!);
      return { id: p.c.id, family: p.c.family, perOpMs: ms, samples: reps.reduce((n, r) => n + r.samples.get(p.c.id)!, 0), gflops: round3(p.sample.flops / ms / 1e6), gbs: round3(p.sample.bytes / ms / 1e6) };
    });
    sparsity = speedups;
  }

  const names = Object.keys(processors);
  const links: LinkSpec[] = [];
  if (names.length > 1) {
    o.onStep?.("worker message latency");
    const hop = await workerHopUs();
    o.onStep?.("partition hand-off cost");
    // Bytes moving between CPU workers cost what the slower of a plain copy and a session
    // boundary's layout round trip costs.
    const bandwidth = Math.min(memcpyGBs(), await handoffGBs({ ...timing, threads, executionProvider: "cpu" }, runOverheadUs, longMs));
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        links.push({ between: [names[i]!, names[j]!], memory: "unified", bandwidthGBs: bandwidth, latencyUs: hop, copyEngine: false, zeroCopy: true });
      }
    }
  }
  // CPU workers of one chip slow each other and pay onnxruntime's layout reorders at every cut.
  const cpuWorkers = names.filter((n) => processors[n]!.kind === "cpu" && processors[n]!.executionProvider === "cpu");
  let contention: DeviceProfile["contention"];
  let cutCosts: DeviceProfile["cutCosts"];
  let partitionCallUs: number | undefined;
  let valueCopyGBs: number | undefined;
  let runtime: MeasurementInfo["runtime"];
  if (cpuWorkers.length > 1) {
    const c = await measureContention({ threads, maxWorkers: Math.max(cpuWorkers.length, 3), onStep: o.onStep, ...(mode === "smoke" ? { durationMs: 100, rounds: 1 } : {}) });
    contention = [{ processors: cpuWorkers, computeSlowdown: c.computeSlowdown, memorySlowdown: c.memorySlowdown }];
    // The link between workers is charged on its own (its latency; the copy is zero-copy or not, as measured above).
    const link = links.find((l) => l.between.includes(cpuWorkers[0]!) && l.between.includes(cpuWorkers[1]!));
    const linkMs = (bytes: number) => (link ? link.latencyUs / 1000 + (link.zeroCopy ? 0 : bytes / (link.bandwidthGBs * 1e6)) : 0);
    cutCosts = (await measureCutCosts({ threads, windowMs: longMs, callMs: runOverheadUs / 1000, linkMs }, o.onStep)).costs;
    // Requests to these processors go through the bundled runtime's workers: the request pays
    // the messages once (runOverheadUs), each further partition only its run (partitionCallUs),
    // and a worker's session runs `slowdown` times the plain session the grid was timed with.
    const models = CALIBRATION_MODELS.slice(0, runtimeSteps(mode) - 1).map((c) => ({ name: c.name, build: () => generateZooModel(c.spec()) }));
    const overhead = await measureRuntimeOverhead(models, { threads, windowMs: 4 * longMs }, o.onStep);
    for (const name of cpuWorkers) slowDown(processors[name]!, overhead.slowdown);
    for (const e of table) if (cpuWorkers.includes(e.processor)) e.ms = round3(e.ms * overhead.slowdown);
    partitionCallUs = runOverheadUs;
    runOverheadUs = round3(runOverheadUs + overhead.requestUs);
    valueCopyGBs = overhead.copyGBs;
    runtime = { requestUs: overhead.requestUs, slowdown: overhead.slowdown };
  }
  const machine = currentMachine(threads);
  const cpuModel = machine.cpuModel;
  const load = finishLoadReport(loadBefore);
  const profile: DeviceProfile = {
    schema: PROFILE_SCHEMA,
    name: o.name ?? "host",
    description: `This machine as measured by sparoa profile: ${cpuModel}, ${availableParallelism()} cores; onnxruntime-node ${onnxruntimeVersion()} (${usable.join(", ")}), ${threads} intra-op thread(s)${workers > 1 ? ` per worker, ${workers} workers` : ""}`,
    host: names.includes("cpu") ? "cpu" : names[0]!,
    runOverheadUs,
    ...(partitionCallUs !== undefined ? { partitionCallUs } : {}),
    ...(valueCopyGBs !== undefined ? { valueCopyGBs } : {}),
    processors,
    links,
    measuredTable: table,
    ...(contention ? { contention } : {}),
    ...(cutCosts ? { cutCosts } : {}),
    measured: {
      date: new Date().toISOString().slice(0, 10),
      host: `${cpuModel} x${availableParallelism()}, ${process.platform}-${process.arch}, node ${process.version}`,
      onnxruntime: onnxruntimeVersion(),
      threads,
      quick,
      providers: Object.fromEntries(Object.entries(providers).map(([k, s]) => [k, s.available ? "measured" : `unavailable: ${s.reason}`])),
      fitErrorPct,
      machine,
      mode,
      repetitions,
      load,
      spread: spreadOf(perRep),
      ...(runtime ? { runtime } : {}),
      notes: `${load.loaded ? `Measured on a loaded machine (${load.reason}): figures are slower than this machine is when quiet` : `Measured on a quiet machine (${load.reason})`}. Per-op times are the 10th percentile of onnxruntime's own per-kernel profile over chains of copies, less the profiler's own per-kernel overhead (no session overhead). Power is not measured here (no power sensors): busy/idle watts are assumptions. Other work on the machine inflates times; rerun when it is quiet.`,
    },
  };
  return { profile: validateProfile(profile, "measured profile"), providers, cases, sparsity };
}

/** A processor whose sessions run `factor` times slower than those it was timed with. */
function slowDown(p: ProcessorSpec, factor: number): void {
  p.peakGflops.f32 = round3(p.peakGflops.f32 / factor);
  p.memoryBandwidthGBs = round3(p.memoryBandwidthGBs / factor);
  p.dispatchUs = round3(p.dispatchUs * factor);
}

/**
 * Generated models whose kernels calibrate the fit: a residual CNN, a depthwise CNN, an MLP-mixer
 * and a small multi-branch CNN (its Concats are the data family's only real-model kernels); none
 * of them is in bench/sim-vs-real.ts's test set (its inception-medium is wider, deeper and 128 px).
 */
export const CALIBRATION_MODELS: readonly { name: string; spec: () => ZooSpec }[] = [
  ...(["resnet-medium", "mobilenet-medium", "mixer-medium"] as const satisfies readonly ZooPreset[]).map((name) => ({ name, spec: () => ZOO_PRESETS[name](1) })),
  { name: "multi-branch 96 px", spec: () => ({ batch: 1, classes: 1000, family: "multi-branch", size: "small", seed: 1, resolution: 96, activation: "relu", pruning: { kind: "none", level: 0 }, params: { stem: 32, blocks: [0, 1, 2].map((i) => ({ b1: 24 + 16 * i, b3: 32 + 16 * i, b5: 8 + 8 * i, pool: 8 + 8 * i, reduce: i === 1, factorized: i !== 0 })) } }) },
];

/**
 * Per-node samples of the calibration models' kernels in onnxruntime's profile (src/profiler/per-op.ts),
 * each the median over `repetitions` profiles of the model: timed once, one slow phase of the VM
 * during resnet-medium set a whole family's rate 40% low.
 */
async function calibrationSamples(fit: FittedProcessor, dispatchUs: number, t: TimingOptions, profilerOverheadMs: number, repetitions: number, step: (label: string) => void): Promise<Sample[]> {
  const spec: ProcessorSpec = { kind: "cpu", executionProvider: "cpu", peakGflops: { f32: fit.peakGflops }, memoryBandwidthGBs: fit.memoryBandwidthGBs, dispatchUs, efficiency: fit.efficiency, opEfficiency: fit.opEfficiency, powerW: { busy: 0, idle: 0 }, fusion: ORT_FUSIONS };
  const profile: DeviceProfile = { schema: PROFILE_SCHEMA, name: "calibration", description: "", host: "cpu", runOverheadUs: 0, processors: { cpu: spec }, links: [] };
  registerBuiltinPasses();
  const models: Model[] = [];
  for (const c of CALIBRATION_MODELS) {
    const model = generateZooModel(c.spec());
    await new PassManager(instantiate(parsePipeline("shape-inference,cost"))).run(model);
    models.push(model);
  }
  // Every model once per repetition (as the grid), so a slow phase hits one repetition of each.
  const runs: Sample[][][] = models.map(() => []);
  for (let r = 0; r < repetitions; r++) {
    for (const [i, model] of models.entries()) {
      step(`calibration model ${CALIBRATION_MODELS[i]!.name}${repetitions > 1 ? ` (${r + 1}/${repetitions})` : ""}`);
      runs[i]!.push(truthSamples(await perOpTruth(model, model, profile, "cpu", { ...t, minMs: Math.max(t.minMs, 300) }, profilerOverheadMs)));
    }
  }
  return runs.flatMap((own) => {
    // The same nodes in the same order each time, unless a kernel went missing from a profile.
    const first = own[0]!;
    const alike = own.filter((r) => r.length === first.length && r.every((s, i) => s.flops === first[i]!.flops));
    return first.map((s, i) => ({ ...s, ms: median(alike.map((r) => r[i]!.ms)) }));
  });
}

/** FLOPs and bytes of a single-op model's node from the cost pass (undefined if it has no formula). */
async function costOf(model: Model, opType?: string): Promise<{ flops: number; bytes: number } | undefined> {
  registerBuiltinPasses();
  if (!lookupPass("cost")) return undefined;
  await new PassManager(instantiate(parsePipeline("shape-inference,cost"))).run(model);
  const node = model.graph.nodes.find((n) => opType === undefined || n.opType === opType)!;
  const flops = numberAnnotation(node, NodeKey.flops);
  if (flops === undefined) return undefined;
  const bytes = (numberAnnotation(node, NodeKey.bytesRead) ?? 0) + (numberAnnotation(node, NodeKey.bytesWeights) ?? 0) + (numberAnnotation(node, NodeKey.bytesWritten) ?? 0);
  return { flops, bytes };
}

/** What onnxruntime's profiler adds to each kernel it times, in ms (see measureGrid). */
export async function profilerOverhead(t: TimingOptions): Promise<number> {
  return lowPercentile(await kernelSamples(dispatchModel(64), t, "Add"));
}

/** A grid case built once: its models encoded, its cost counted (the figures the latency model is given). */
interface PreparedCase {
  c: GridCase;
  /** Copies of the op in the timed chain. */
  copies: number;
  chain: Model;
  chainBytes: Uint8Array;
  single: Model;
  /** The measured table's key of the op (none for a fused kernel: its nodes also run apart). */
  key: string | undefined;
  sample: Omit<Sample, "ms">;
}

interface Repetition {
  dispatchUs: number;
  runOverheadUs: number;
  /** Per-kernel ms of each timed case in this repetition. */
  ms: Map<string, number>;
  /** Kernel samples behind each figure. */
  samples: Map<string, number>;
  /** Speedup of each sparse case over its dense twin. */
  speedups: Map<string, number>;
}

async function prepareGrid(grid: GridCase[], step: (label: string) => void): Promise<PreparedCase[]> {
  const out: PreparedCase[] = [];
  for (const c of grid) {
    step(c.id);
    // A chain of copies gives several kernel samples per run; heavy or weight-heavy kernels fewer.
    const copies = c.flops / 1e6 > HEAVY_MFLOP || c.bytesWeights > HEAVY_WEIGHT_BYTES ? 2 : 4;
    const chain = c.build(copies);
    const single = c.build(1);
    // The cost pass also infers the shapes the measured table's key names.
    const counted = c.sparsityOf ? undefined : await costOf(single, c.costOp);
    out.push({
      c, copies, chain, chainBytes: modelBytes(chain), single, key: c.costOp ? undefined : opKey(single.graph.nodes[0]!),
      sample: { family: c.family, flops: counted?.flops ?? c.flops, bytes: counted?.bytes ?? c.bytesRead + c.bytesWeights + c.bytesWritten, ownOp: c.ownOp },
    });
  }
  return out;
}

/** One repetition over the prepared grid: each kernel's low-percentile time, each sparse variant's speedup. */
async function measureGrid(prepared: PreparedCase[], t: TimingOptions, profilerOverheadMs: number, sparsity: boolean, step: (label: string) => void): Promise<Omit<Repetition, "dispatchUs" | "runOverheadUs">> {
  const ms = new Map<string, number>();
  const samples = new Map<string, number>();
  const speedups = new Map<string, number>();
  const byId = new Map(prepared.map((p) => [p.c.id, p]));
  for (const p of prepared) {
    const c = p.c;
    step(c.id);
    if (c.sparsityOf) {
      // Only the first repetition: a speedup is evidence (timed in both orders), not a fitted figure.
      if (!sparsity) continue;
      // Sparse and dense variants timed in alternation, in both orders; the smaller ratio counts,
      // so load that hit one side cannot fake an effect.
      const base = byId.get(c.sparsityOf)!;
      const dense = { model: base.single, inputSparsity: base.c.inputSparsity };
      const sparse = { model: p.single, inputSparsity: c.inputSparsity };
      const [d1, s1] = await timeModels([dense, sparse], t) as [number, number];
      const [s2, d2] = await timeModels([sparse, dense], t) as [number, number];
      speedups.set(c.id, Math.min(d1 / s1, d2 / s2));
      continue;
    }
    // onnxruntime's profiler times each kernel of the chain.
    const kernels = await kernelSamples(p.chain, t, c.opType, c.inputSparsity, p.chainBytes);
    let perOp: number;
    if (kernels.length >= 3) perOp = Math.max(1e-4, lowPercentile(kernels) - profilerOverheadMs);
    else {
      // The provider's kernels are not in the profile (fused away or renamed): time whole runs.
      const [t1, tk] = await timeModels([{ model: p.single, inputSparsity: c.inputSparsity }, { model: p.chain, bytes: p.chainBytes, inputSparsity: c.inputSparsity }], t) as [number, number];
      perOp = Math.max((tk - t1) / (p.copies - 1), 1e-4);
    }
    ms.set(c.id, perOp);
    samples.set(c.id, kernels.length);
  }
  return { ms, samples, speedups };
}

/** The fitted figures of one processor by their path under `processors.<name>.`, for the spread. */
function fittedFigures(fit: ReturnType<typeof fitProcessor>, dispatchUs: number): Record<string, number> {
  const out: Record<string, number> = { "peakGflops.f32": fit.peakGflops, memoryBandwidthGBs: fit.memoryBandwidthGBs, dispatchUs };
  const add = (prefix: string, e: Efficiency) => {
    out[`${prefix}.compute`] = e.compute;
    out[`${prefix}.memory`] = e.memory;
    out[`${prefix}.computeHalfMflop`] = e.computeHalfMflop ?? 0;
    if (e.computeHalfMflop) out[`${prefix}.computeSmallShare`] = e.computeSmallShare ?? 0;
  };
  for (const [family, e] of Object.entries(fit.efficiency)) add(`efficiency.${family}`, e);
  for (const [op, e] of Object.entries(fit.opEfficiency)) add(`opEfficiency.${op}`, e);
  return out;
}

/** Median, extremes and interquartile range of each figure over the repetitions. */
export function spreadOf(values: Record<string, number[]>): Record<string, FigureSpread> {
  const out: Record<string, FigureSpread> = {};
  for (const [path, xs] of Object.entries(values)) {
    const med = median(xs);
    const [min, max] = [Math.min(...xs), Math.max(...xs)];
    out[path] = { median: round3(med), min: round3(min), max: round3(max), iqr: round3(quantile(xs, 0.75) - quantile(xs, 0.25)), rangePct: med === 0 ? (max === min ? 0 : 100) : round3(((max - min) / Math.abs(med)) * 100) };
  }
  return out;
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
async function handoffGBs(t: TimingOptions, runOverheadUs: number, minMs: number): Promise<number> {
  const { whole, half, bytes } = handoffModels();
  const [wholeMs, halfMs] = await timeModels([{ model: whole }, { model: half }], { ...t, minMs: Math.max(t.minMs, minMs) }) as [number, number];
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
