// The simulator against reality on this machine (issue 13, issue 17). In one run:
//  1. fresh profiles of this host: a 2-thread `cpu`, a 1-thread `cpu`, and two 1-thread workers
//     `cpu0`/`cpu1` with their measured contention, cut costs and the runtime's own cost
//     (src/profiler: contention.ts, cut-cost.ts, runtime-overhead.ts), all calibrated on
//     generated models' kernels (per-op.ts);
//  2. single-device plans, at 1 and 2 threads, on the light corpus, the npm models and generated
//     CNN, multi-branch and transformer models: the simulator's prediction against (a) wall-clock
//     session.run (10th percentile and median) and (b) the sum of onnxruntime's own per-node
//     kernel times (no simulator constants added to either side), with signed errors;
//  3. per op family: the latency model against onnxruntime's per-node profile (per-op.ts);
//  4. plans split across the two one-thread workers (the oracle's plan, run by the bundled
//     runtime) against their prediction under the one plan cost (with contention and cut
//     charges, and without them for comparison), signed.
//
//   node --import tsx bench/sim-vs-real.ts [--quick] [--split-only] [--threads 1|2] [--json OUT.json] [--save-profiles DIR] [--profile P.json] [--profile-1t P.json] [--profile-2x1 P.json]
//
// Timing statistic: the 10th percentile of many runs (the machine is shared: see
// src/profiler/measure.ts lowPercentile); medians are printed too. The machine's load (uptime)
// is printed at the start and the end: on a loaded machine the wall-clock column is inflated.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { loadModel, saveModel, type Model, type Node } from "../ir/index.ts";
import { registerBuiltinPasses } from "../passes/builtin-passes.ts";
import { PassManager } from "../passes/manager.ts";
import { instantiate, parsePipeline } from "../passes/pipeline.ts";
import { runBaselines, type Plan } from "../src/planner/baselines/index.ts";
import { applyInputShapes } from "../passes/shape-inference.ts";
import { loadProfile, type DeviceProfile } from "../src/devices/profile.ts";
import { FULL_TIMING, QUICK_TIMING, lowPercentile, median, randomFeeds, timeInTurn } from "../src/profiler/measure.ts";
import { perOpTruth, type FamilyTruth } from "../src/profiler/per-op.ts";
import { profileHost, profilerOverhead } from "../src/profiler/profile-host.ts";
import { simulate } from "../src/sim/simulator.ts";
import { Runtime } from "../src/runtime/runtime.ts";
import { PROCESSOR_KEY } from "../src/package/manifest.ts";
import { generateZooModel, ZOO_PRESETS } from "../src/zoo/index.ts";
import { FIXTURES, lightModels, npmModels } from "../test/support/corpus.ts";
import { multiBranchCnn, transformerLike } from "./support/models.ts";
import { materialize } from "./support/materialize.ts";

registerBuiltinPasses();

const args = process.argv.slice(2);
const flag = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const quick = args.includes("--quick");
/** Only the split plans (section 4): iterating on the plan cost without re-measuring single-device plans. */
const splitOnly = args.includes("--split-only");
/** Single-device plans at this thread count only (iterating on one profile). */
const onlyThreads = flag("--threads");
const scratch = mkdtempSync(join(tmpdir(), "sparoa-sim-vs-real-"));

type Kind = "light" | "npm" | "generated CNN" | "generated multi-branch" | "generated transformer" | "fixture";
interface Case { label: string; kind: Kind; path: string; shapes?: Map<string, number[]>; split?: boolean }

function generated(name: string, model: Model): string {
  const path = join(scratch, `${name}.onnx`);
  saveModel(model, path);
  return path;
}

function cases(): Case[] {
  const light = (name: string) => lightModels().find((m) => m.endsWith(`light_${name}.onnx`));
  const npm = (name: string) => npmModels().find((m) => m.endsWith(name));
  const out: Case[] = [{ label: "tiny-cnn", kind: "fixture", path: join(FIXTURES, "tiny-cnn.onnx") }];
  const lightSet: [string, string, boolean][] = [["SqueezeNet 1.0", "squeezenet", true], ["ShuffleNet", "shufflenet", false], ["Inception v1", "inception_v1", true], ["Inception v2", "inception_v2", false], ["ResNet-50", "resnet50", false], ["DenseNet-121", "densenet121", false]];
  if (!quick) lightSet.push(["AlexNet", "bvlc_alexnet", false]);
  for (const [label, name, split] of lightSet) {
    const p = light(name);
    if (p) out.push({ label, kind: "light", path: materialize(p), split });
  }
  if (lightModels().length === 0) console.log("(light corpus ../shared/onnx-backend-tests/light absent: its models are skipped)");
  const det = npm("ch_PP-OCRv4_det_infer.onnx");
  if (det) out.push({ label: "PP-OCRv4 det 320x320", kind: "npm", path: det, shapes: new Map([["x", [1, 3, 320, 320]]]) });
  const cls = npm("ch_ppocr_mobile_v2.0_cls_infer.onnx");
  if (cls) out.push({ label: "PP-OCR mobile cls", kind: "npm", path: cls, shapes: new Map([["x", [1, 3, 48, 192]]]) });
  out.push({ label: "zoo cnn-medium", kind: "generated CNN", path: generated("cnn-medium", generateZooModel(ZOO_PRESETS["cnn-medium"](2))) });
  out.push({ label: "zoo shufflenet-medium", kind: "generated CNN", path: generated("shufflenet-medium", generateZooModel(ZOO_PRESETS["shufflenet-medium"](2))) });
  out.push({ label: "zoo inception-medium", kind: "generated multi-branch", path: generated("inception-medium", generateZooModel(ZOO_PRESETS["inception-medium"](2))), split: true });
  out.push({ label: "multi-branch CNN 64px", kind: "generated multi-branch", path: generated("multi-branch", multiBranchCnn(3, 64, 64)), split: true });
  out.push({ label: "zoo vit-small", kind: "generated transformer", path: generated("vit-small", generateZooModel(ZOO_PRESETS["vit-small"](2))) });
  out.push({ label: "zoo swin-medium", kind: "generated transformer", path: generated("swin-medium", generateZooModel(ZOO_PRESETS["swin-medium"](2))) });
  out.push({ label: "transformer encoder 4x128", kind: "generated transformer", path: generated("transformer", transformerLike(4, 128, 64, 4)), split: true });
  return out;
}

async function analysed(c: Case): Promise<Model> {
  const model = loadModel(c.path);
  if (c.shapes) applyInputShapes(model, [...c.shapes].map(([name, dims]) => ({ name, dims })));
  await new PassManager(instantiate(parsePipeline("shape-inference,cost,weight-sparsity"))).run(model);
  return model;
}

/** Runners timed in turn (A, B, C, A, B, C, ...) for a second each (three without --quick), at least 15 runs: p10, median and count of each. */
async function timeRunsInTurn(runs: (() => Promise<unknown>)[]): Promise<{ p10: number; median: number; runs: number }[]> {
  const times = await timeInTurn(runs, { warmup: 3, minRuns: 15, maxRuns: 200, minMs: quick ? 1000 : 3000 });
  return times.map((ts) => ({ p10: lowPercentile(ts), median: median(ts), runs: ts.length }));
}

async function measureOrt(path: string, model: Model, threads: number) {
  // The same session options as the profiler's (no spinning), so both sides run alike.
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all", logSeverityLevel: 3, extra: { session: { intra_op: { allow_spinning: "0" } } } });
  try {
    const feeds = randomFeeds(model);
    return (await timeRunsInTurn([() => session.run(feeds)]))[0]!;
  } finally {
    await session.release();
  }
}

/** Signed error of a prediction, % of the measurement (negative: optimistic). */
const signed = (pred: number, meas: number) => ((pred - meas) / meas) * 100;
const f = (x: number) => x.toFixed(x >= 10 ? 1 : 3);
const pm = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(1)}`;
const percentile = (xs: readonly number[], q: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!; };
const load = () => loadavg().map((x) => x.toFixed(1)).join(" ");

function summary(label: string, errors: number[]): string {
  const abs = errors.map(Math.abs);
  const optimistic = errors.filter((e) => e < 0).length;
  return `${label}: median |error| ${median(abs).toFixed(1)}%, p90 ${percentile(abs, 0.9).toFixed(1)}%, max ${Math.max(...abs).toFixed(1)}%; signed median ${pm(median(errors))}%, ${optimistic} of ${errors.length} optimistic`;
}

interface SingleRow { model: string; kind: Kind; threads: number; predictedMs: number; predictedKernelsMs: number; kernelsMs: number; wallP10Ms: number; wallMedianMs: number; errKernels: number; errWall: number }
interface SplitRow { model: string; plan: string; nodes: string; crossings: number; partitions: number; predictedMs: number; scheduleOnlyMs: number; cutsMs: number; contentionMs: number; measuredP10Ms: number; measuredMedianMs: number; err: number; errScheduleOnly: number; errRatio?: number }

async function main(): Promise<void> {
  const threads = Math.min(2, availableParallelism());
  const started = new Date().toISOString();
  console.log(`sim-vs-real: ${started}, ${cpus()[0]?.model ?? "CPU"} x${availableParallelism()}, no GPU used, load average ${load()}${quick ? ", --quick" : ""}`);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const onStep = (s: string) => process.stderr.write(`  ${s.padEnd(60).slice(0, 60)}\r`);
  const full: DeviceProfile = flag("--profile") ? loadProfile(flag("--profile")!) : (await profileHost({ quick, threads, onStep })).profile;
  const pair: DeviceProfile = flag("--profile-2x1") ? loadProfile(flag("--profile-2x1")!) : (await profileHost({ quick, threads: 1, workers: 2, name: "host-2x1", onStep })).profile;
  // Single-device rows at one thread are plain sessions: the one-thread host profile, not the
  // workers' (whose rates and request cost are those of the runtime's worker threads).
  const one: DeviceProfile | undefined = splitOnly || threads === 1 ? undefined : flag("--profile-1t") ? loadProfile(flag("--profile-1t")!) : (await profileHost({ quick, threads: 1, name: "host-1t", onStep })).profile;
  const profileS = (performance.now() - t0) / 1000;
  const saveTo = flag("--save-profiles");
  if (saveTo) for (const p of [full, pair, ...(one ? [one] : [])]) writeFileSync(join(saveTo, `${p.name}.json`), JSON.stringify(p, null, 1));
  console.log(`profiles ready in ${profileS.toFixed(0)} s: '${full.name}' ${threads}-thread cpu;${one ? ` '${one.name}' 1-thread cpu;` : ""} '${pair.name}' two 1-thread workers`);
  if (pair.measured?.runtime) console.log(`  the runtime's workers: ${pair.measured.runtime.requestUs} us per request over a plain session, sessions x${pair.measured.runtime.slowdown} a plain one's`);
  console.log(`  contention (two workers at once / one alone): compute-bound x${pair.contention?.[0]?.computeSlowdown.join(", x") ?? "-"}, memory-bound x${pair.contention?.[0]?.memorySlowdown.join(", x") ?? "-"} (for 2, 3 workers)`);
  console.log(`  cut costs per side (GB/s): ${Object.entries(pair.cutCosts ?? {}).map(([k, v]) => `${k} ${v.bandwidthGBs}`).join(", ")}\n`);

  const timing = quick ? QUICK_TIMING : FULL_TIMING;
  const single: SingleRow[] = [];
  const families = new Map<string, FamilyTruth & { threads: number }>();
  const overheads = new Map<number, number>();
  const all = cases();
  console.log("| model | kind | threads | predicted ms | wall p10 ms | wall median ms | error vs wall p10 | predicted kernels ms (no run overhead, no dispatch) | onnxruntime kernels ms | error vs kernels |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const c of splitOnly ? [] : all) {
    const model = await analysed(c);
    const setups: [DeviceProfile, string, number][] = one ? [[full, "cpu", threads], [one, "cpu", 1]] : [[full, "cpu", threads]];
    for (const [profile, proc, t] of setups.filter(([, , t]) => !onlyThreads || t === Number(onlyThreads))) {
      const placement = new Map<Node, string>(model.graph.nodes.map((n) => [n, proc]));
      const predicted = simulate(model, placement, profile).makespanMs;
      const measured = await measureOrt(c.path, model, t);
      const opts = { ...timing, minMs: quick ? 500 : 1500, minRuns: 10, threads: t, executionProvider: "cpu" };
      if (!overheads.has(t)) overheads.set(t, await profilerOverhead(opts));
      const truth = await perOpTruth(model, c.path, profile, proc, opts, overheads.get(t)!);
      const kernelsMs = truth.families.reduce((a, x) => a + x.measuredMs, 0);
      for (const fam of truth.families) {
        const key = `${t}:${fam.family}`;
        const acc = families.get(key) ?? { family: fam.family, threads: t, nodes: 0, predictedMs: 0, measuredMs: 0 };
        acc.nodes += fam.nodes; acc.predictedMs += fam.predictedMs; acc.measuredMs += fam.measuredMs;
        families.set(key, acc);
      }
      // Against the kernels, the prediction's own constants come off too: the run overhead and the
      // per-kernel dispatch lie outside onnxruntime's kernel times.
      const predictedKernelsMs = predicted - profile.runOverheadUs / 1000 - truth.predictedDispatchMs;
      const row: SingleRow = { model: c.label, kind: c.kind, threads: t, predictedMs: predicted, predictedKernelsMs, kernelsMs, wallP10Ms: measured.p10, wallMedianMs: measured.median, errKernels: signed(predictedKernelsMs, kernelsMs), errWall: signed(predicted, measured.p10) };
      single.push(row);
      console.log(`| ${c.label} | ${c.kind} | ${t} | ${f(predicted)} | ${f(measured.p10)} | ${f(measured.median)} | ${pm(row.errWall)}% | ${f(predictedKernelsMs)} | ${f(kernelsMs)} | ${pm(row.errKernels)}% |`);
    }
  }
  if (single.length) {
    console.log(`\n${summary("single-device vs wall-clock p10", single.map((r) => r.errWall))}`);
    console.log(summary("single-device vs onnxruntime per-node kernel sum (predicted kernels: no run overhead or dispatch on either side)", single.map((r) => r.errKernels)));
    for (const t of [threads, 1]) {
      console.log(summary(`  at ${t} thread(s), vs wall-clock p10`, single.filter((r) => r.threads === t).map((r) => r.errWall)));
      console.log(summary(`  at ${t} thread(s), vs kernels`, single.filter((r) => r.threads === t).map((r) => r.errKernels)));
    }

    console.log("\nper op family, summed over every model (onnxruntime per-node profile; 'unmatched': kernels with no node, mostly layout reorders, against nodes onnxruntime removed):");
    console.log("| threads | family | nodes | predicted ms | onnxruntime ms | predicted / measured |");
    console.log("| --- | --- | --- | --- | --- | --- |");
    for (const x of [...families.values()].sort((a, b) => a.threads - b.threads || b.measuredMs - a.measuredMs)) {
      console.log(`| ${x.threads} | ${x.family} | ${x.nodes} | ${f(x.predictedMs)} | ${f(x.measuredMs)} | ${x.measuredMs > 0 ? (x.predictedMs / x.measuredMs).toFixed(2) : "-"} |`);
    }
  }

  // Split plans on the two one-thread CPU workers, run by the bundled runtime.
  const splits: Case[] = [{ label: "two-branch (fixture), batch 64", kind: "fixture", path: join(FIXTURES, "two-branch.onnx"), shapes: new Map([["x", [64, 256]]]) }, ...all.filter((c) => c.split)];
  const splitRows: SplitRow[] = [];
  console.log("\nplans on two 1-thread CPU workers (the oracle under the one plan cost; the oracle's plan without the cut and contention charges, judged by the full cost; one worker for reference):");
  console.log("| model | plan | nodes per worker | crossings | partitions | predicted ms (schedule + calls + cuts + contention) | measured p10 ms | measured median ms | error (signed) | error without cut and contention charges | error of the split / one-worker ratio |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const c of splits) {
    const model = await analysed(c);
    const report = runBaselines(model, pair, { oracle: { timeLimitMs: 3000, search: { timeLimitMs: 3000 } } });
    const best = report.plans.find((p) => p.name === "oracle")!;
    const one = report.plans.find((p) => p.name === "cpu-only")!;
    // Where contention and cut charges make the oracle keep one worker, the plan it would have
    // split without them (the simulator's old view) is still run, and judged by the full cost.
    const bare: DeviceProfile = { ...pair, contention: undefined, cutCosts: undefined };
    const bareOracle = runBaselines(model, bare, { oracle: { timeLimitMs: 3000, search: { timeLimitMs: 3000 } } }).plans.find((p) => p.name === "oracle")!;
    const heft = report.plans.find((p) => p.name === "heft");
    const candidates: [Plan, string][] = [[best, "oracle"], [one, "one worker"], ...(heft ? [[heft, "heft"] as [Plan, string]] : [])];
    if ([...bareOracle.assign].join() !== [...best.assign].join()) candidates.push([{ ...bareOracle, latency: report.cost.latency(bareOracle.assign) }, "oracle without charges"]);
    // Distinct plans only (the oracle often keeps one worker), loaded together and run in turn,
    // so that the load of other work falls on each alike and the ratio to one worker is fair.
    const distinct = candidates.filter(([p], i) => candidates.findIndex(([q]) => [...q.assign].join() === [...p.assign].join()) === i);
    const loaded: { plan: Plan; label: string; devices: string[]; runtime: Runtime; feeds: Record<string, ort.Tensor> }[] = [];
    try {
      for (const [plan, label] of distinct) {
        const annotated = loadModel(c.path);
        if (c.shapes) applyInputShapes(annotated, [...c.shapes].map(([name, dims]) => ({ name, dims })));
        const byName = new Map([...plan.placement].map(([n, d]) => [n.name, d]));
        for (const n of annotated.graph.nodes) n.metadata.set(PROCESSOR_KEY, byName.get(n.name) ?? "cpu0");
        const devices = [...new Set(byName.values())];
        loaded.push({ plan, label, devices, runtime: await Runtime.load(annotated, { processorMap: devices.map((d) => `${d}=cpu`), threads: 1 }), feeds: randomFeeds(annotated) });
      }
      const measured = await timeRunsInTurn(loaded.map((x) => () => x.runtime.run(x.feeds)));
      const oneIndex = loaded.findIndex((x) => x.devices.length === 1);
      loaded.forEach(({ plan, label, devices }, k) => {
        const l = plan.latency;
        const m = measured[k]!;
        const scheduleOnly = l.simulatedMs + l.callsMs;
        const nodes = devices.map((d) => `${d}:${[...plan.placement.values()].filter((x) => x === d).length}`).join(" ");
        const one = oneIndex >= 0 && oneIndex !== k ? { predicted: loaded[oneIndex]!.plan.latency.ms, measured: measured[oneIndex]!.p10 } : undefined;
        const errRatio = one ? signed(l.ms / one.predicted, m.p10 / one.measured) : undefined;
        const row: SplitRow = { model: c.label, plan: devices.length > 1 ? label : `${label} (no split)`, nodes, crossings: plan.result.crossings, partitions: l.partitions, predictedMs: l.ms, scheduleOnlyMs: scheduleOnly, cutsMs: l.cutsMs, contentionMs: l.contentionMs, measuredP10Ms: m.p10, measuredMedianMs: m.median, err: signed(l.ms, m.p10), errScheduleOnly: signed(scheduleOnly, m.p10), errRatio };
        splitRows.push(row);
        console.log(`| ${c.label} | ${row.plan} | ${nodes} | ${row.crossings} | ${l.partitions} | ${f(l.ms)} (${f(l.simulatedMs)} + ${f(l.callsMs)} + ${f(l.cutsMs)} + ${f(l.contentionMs)}) | ${f(m.p10)} | ${f(m.median)} | ${pm(row.err)}% | ${pm(row.errScheduleOnly)}% | ${errRatio === undefined ? "-" : `${pm(errRatio)}%`} |`);
      });
    } finally {
      await Promise.all(loaded.map((x) => x.runtime.close()));
    }
  }
  const split = splitRows.filter((r) => !r.plan.includes("no split"));
  if (split.length) {
    console.log(`\n${summary("split plans (two workers) vs wall-clock p10", split.map((r) => r.err))}`);
    console.log(summary("  the same without the cut and contention charges", split.map((r) => r.errScheduleOnly)));
    const ratios = split.flatMap((r) => (r.errRatio === undefined ? [] : [r.errRatio]));
    if (ratios.length) console.log(summary("  split / one-worker time ratio, predicted against measured in the same turns (load cancels)", ratios));
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = (performance.now() - t0) / 1000;
  console.log(`\ndone in ${wall.toFixed(0)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s CPU of this process (onnxruntime's threads included); load average now ${load()}`);
  const out = flag("--json");
  if (out) writeFileSync(out, JSON.stringify({ started, quick, loadAtEnd: loadavg(), wallS: wall, profiles: { full: full.measured, oneThread: one?.measured, pair: { runtime: pair.measured?.runtime, contention: pair.contention, cutCosts: pair.cutCosts, measured: pair.measured } }, single, families: [...families.values()], splits: splitRows }, null, 1));
}

try {
  await main();
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
