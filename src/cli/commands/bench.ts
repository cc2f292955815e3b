// `sparoa bench PKG|MODEL`: latency percentiles, throughput and per-processor utilisation of the
// bundled runtime, and of plain onnxruntime on the original model in the same run, as ratios.
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import type { Argv, CommandModule } from "yargs";
import type * as ort from "onnxruntime-node";
import { closedLoop, measured, plainSession, type LoadResult, type Measured } from "../../runtime/closed-loop.ts";
import { BatchQueue } from "../../runtime/batching.ts";
import { BatchTuner } from "../../runtime/batch-tuner.ts";
import { Runtime } from "../../runtime/runtime.ts";
import { describeRouteSummary } from "../../runtime/routes.ts";
import { describeDrift, driftReport } from "../../runtime/drift.ts";
import { checkDriftRatio, DRIFT_RATIO_OPTION, measuredPartitionTimes } from "../drift-option.ts";
import { CliError } from "../errors.ts";
import { prepareOutputPath } from "../../io/output.ts";
import { Progress } from "../../io/progress.ts";
import { openRuntime, withRuntimeFlags, type RuntimeFlags } from "../runtime-options.ts";
import { prepareFeeds, readInputs } from "../tensor-args.ts";

interface BenchArgs extends RuntimeFlags {
  package: string; input?: string[]; iterations: number; warmup: number; rounds: number; concurrency: number;
  baseline?: string | boolean; "baseline-threads"?: number; json: boolean; batching: boolean; "max-latency-ms"?: number; "max-batch": number; "drift-ratio": number;
}

const ms = (x: number) => `${x.toFixed(2)} ms`;

export const benchCommand: CommandModule<object, BenchArgs> = {
  command: "bench <package>",
  describe: "measure the runtime (p50/p90/p99, throughput, processor utilisation) against plain onnxruntime in the same run",
  builder: (y) => withRuntimeFlags(y as Argv<object>)
    .positional("package", { type: "string", demandOption: true, describe: "package folder, or an .onnx model (annotated or plain)" })
    .option("input", { alias: "i", type: "string", array: true, describe: "NAME=FILE (.npy or .pb); default: seeded inputs (--seed, --dim)" })
    .option("iterations", { alias: "n", type: "number", default: 50, describe: "measured requests per side" })
    .option("warmup", { type: "number", default: 5, describe: "unmeasured requests per side first" })
    .option("rounds", { type: "number", default: 5, describe: "alternate runtime and baseline in this many blocks (fair under drifting load)" })
    .option("concurrency", { alias: "c", type: "number", default: 1, describe: "concurrent clients (closed loop)" })
    .option("baseline", { type: "string", describe: "plain onnxruntime runs this model in the same run (default: the package's original model, found next to the package; --no-baseline to skip)" })
    .option("baseline-threads", { type: "number", describe: "intra-op threads of the baseline (default: the runtime's CPU threads in total)" })
    .option("batching", { type: "boolean", default: false, describe: "send single-row requests through the dynamic batching queue, tuned online" })
    .option("max-latency-ms", { type: "number", describe: "latency bound the batch tuner keeps (with --batching; default 100)" })
    .option("max-batch", { type: "number", default: 64, describe: "largest batch the tuner tries" })
    .option("json", { type: "boolean", default: false, describe: "print the figures as JSON" })
    .option("drift-ratio", DRIFT_RATIO_OPTION)
    .example("$0 bench out/ --processor-map gpu=cpu --threads cpu=1,gpu=1", "two processors of one thread each vs plain onnxruntime")
    .example("$0 bench model.onnx --batching --max-latency-ms 50 -c 64", "dynamic batching under a 50 ms bound")
    .example("$0 bench out/ -n 20 --trace bench.json", "record a Perfetto trace of the runs")
    .example("$0 bench out/ --engine ort", "the annotated model as one onnxruntime session with its layer assignment")
    .example("$0 bench /moved/pkg --baseline model.onnx", "a package moved away from its original: name the model to compare against") as unknown as Argv<BenchArgs>,
  handler: async (argv) => {
    for (const k of ["iterations", "rounds", "concurrency"] as const) if (!(argv[k] >= 1)) throw new CliError(`--${k}: must be at least 1`);
    checkDriftRatio(argv["drift-ratio"]);
    prepareOutputPath(argv.trace, "--trace");
    const given = readInputs(argv.input);
    const runtime = await openRuntime(argv.package, argv);
    let plain: ort.InferenceSession | undefined;
    try {
      const prepared = prepareFeeds(runtime.manifest, given, argv);
      const feeds = prepared.feeds;
      const cpuThreads = runtime.placements.filter((p) => p.provider === "cpu").reduce((a, p) => a + p.threads, 0);
      const baselineThreads = argv["baseline-threads"] ?? Math.max(1, Math.min(availableParallelism(), cpuThreads || availableParallelism()));
      const notes: string[] = [];
      const baselineModel = typeof argv.baseline === "string" && argv.baseline !== "" ? argv.baseline : undefined;
      if (baselineModel !== undefined) {
        if (!existsSync(baselineModel)) throw new CliError(`--baseline ${baselineModel}: no such file`);
        plain = await plainSession({ path: resolve(baselineModel) }, baselineThreads);
      } else if (argv.baseline !== false) {
        if (runtime.pkg.original) plain = await plainSession(runtime.pkg.original, baselineThreads);
        else {
          const why = `no baseline: the original model (${runtime.manifest.source.file}, relative to the package) is not there; pass --baseline MODEL to compare against it`;
          notes.push(why);
          // Said before the run too, not only in the closing notes: a silent missing comparison reads as "no difference".
          if (!argv.json) process.stderr.write(`sparoa: warning: ${why}\n`);
        }
      }
      const tuner = argv.batching ? new BatchTuner({ maxLatencyMs: argv["max-latency-ms"] ?? 100, limit: argv["max-batch"] }) : undefined;
      if (tuner && !(runtime instanceof Runtime)) throw new CliError("--batching: needs --engine workers");
      const queue = tuner && runtime instanceof Runtime ? new BatchQueue(runtime, { tuner }) : undefined;
      const concurrency = argv.batching && argv.concurrency === 1 ? 2 * argv["max-batch"] : argv.concurrency;
      const sendRuntime = () => (queue ? queue.submit(feeds) : runtime.run(feeds));
      const sendPlain = () => plain!.run(feeds);
      if (!argv.json) process.stderr.write(`sparoa: bench: ${runtime.manifest.partitions.length} partition(s) on ${runtime.placements.length} processor worker(s); ${prepared.line}; warming up (Ctrl-C stops)\n`);
      const progress = new Progress("bench", argv.rounds * (plain ? 2 : 1), !argv.json);
      const sparoaRuns: LoadResult[] = [];
      const plainRuns: LoadResult[] = [];
      await closedLoop(sendRuntime, argv.warmup, Math.min(argv.warmup, concurrency));
      if (plain) await closedLoop(sendPlain, argv.warmup);
      runtime.resetStats();
      let runtimeWall = 0;
      const per = Math.max(1, Math.round(argv.iterations / argv.rounds));
      for (let r = 0; r < argv.rounds; r++) {
        const res = await closedLoop(sendRuntime, per, concurrency);
        sparoaRuns.push(res);
        runtimeWall += res.wallMs;
        progress.tick(1, "sparoa");
        if (plain) { plainRuns.push(await closedLoop(sendPlain, per, concurrency)); progress.tick(1, "onnxruntime"); }
      }
      progress.finish();
      const stats = runtime.processorStats().map((d) => ({ ...d, utilisation: d.busyMs / runtimeWall }));
      const drift = driftReport(runtime.manifest, measuredPartitionTimes(runtime), argv["drift-ratio"]);
      const sparoa = measured(sparoaRuns);
      const base = plain ? measured(plainRuns) : undefined;
      const ratios = base ? { p50: sparoa.p50 / base.p50, p90: sparoa.p90 / base.p90, p99: sparoa.p99 / base.p99, throughput: sparoa.throughput / base.throughput } : undefined;
      if (base && sparoa.p50 - base.p50 > 0.5 * base.p50 && base.p50 < 2) {
        notes.push(`the model runs in ${base.p50.toFixed(2)} ms: each request crosses threads at least twice (inputs to the workers, outputs back; 0.1-0.3 ms each where a thread must wake), which dominates models this small`);
      }
      const batching = queue && tuner ? {
        chosen: queue.policy, phase: tuner.state().phase, serviceMs: tuner.state().serviceMs, batches: queue.history.length,
        meanRows: queue.history.reduce((a, b) => a + b.rows, 0) / Math.max(1, queue.history.length),
      } : undefined;
      if (argv.trace) runtime.trace!.write(argv.trace);
      const report = {
        package: argv.package, engine: argv.engine ?? "workers", origin: runtime.pkg.origin, inputs: { generated: prepared.generated, seed: prepared.generated ? argv.seed : undefined, shapes: prepared.shapes }, partitions: runtime.manifest.partitions.length, processors: runtime.describeProcessors(), routes: runtime.routeSummary(),
        concurrency, baselineThreads: plain ? baselineThreads : undefined, sparoa, onnxruntime: base, ratios, utilisation: stats, drift, batching, notes,
      };
      if (argv.json) { process.stdout.write(JSON.stringify(report, null, 2) + "\n"); return; }
      process.stdout.write(`${prepared.line}\n`);
      printReport(report.processors, runtime.manifest.partitions.length, concurrency, sparoa, base, ratios, stats, baselineThreads, notes);
      if (report.routes.crossings.length + report.routes.kept > 0) process.stdout.write(`  ${describeRouteSummary(report.routes)}\n`);
      for (const line of describeDrift(drift)) process.stdout.write(`  ${line}\n`);
      if (batching) process.stdout.write(`  batching: ${batching.batches} batches of ${batching.meanRows.toFixed(1)} rows on average; tuner (${batching.phase}) chose batch ${batching.chosen.maxBatch}, wait ${batching.chosen.maxWaitMs.toFixed(2)} ms\n`);
      if (argv.trace) process.stdout.write(`trace: ${argv.trace} (open in ui.perfetto.dev)\n`);
    } finally {
      await plain?.release();
      await runtime.close();
    }
  },
};

function printReport(processors: string[], partitions: number, concurrency: number, sparoa: Measured, base: Measured | undefined,
  ratios: Record<string, number> | undefined, stats: { processor: string; utilisation: number; restarts: number }[], baselineThreads: number, notes: string[]): void {
  const out = (s: string) => process.stdout.write(s + "\n");
  out(`${partitions} partition(s), concurrency ${concurrency}`);
  for (const d of processors) out(`  processor ${d}`);
  const row = (label: string, m: Measured) => `  ${label.padEnd(26)}${ms(m.p50).padStart(11)}${ms(m.p90).padStart(11)}${ms(m.p99).padStart(11)}${`${m.throughput.toFixed(1)}/s`.padStart(12)}`;
  out(`  ${"".padEnd(26)}${"p50".padStart(11)}${"p90".padStart(11)}${"p99".padStart(11)}${"throughput".padStart(12)}`);
  out(row("sparoa runtime", sparoa));
  if (base && ratios) {
    out(row(`plain onnxruntime (${baselineThreads} thr)`, base));
    out(`  ${"ratio sparoa/plain".padEnd(26)}${`${ratios.p50!.toFixed(2)}x`.padStart(11)}${`${ratios.p90!.toFixed(2)}x`.padStart(11)}${`${ratios.p99!.toFixed(2)}x`.padStart(11)}${`${ratios.throughput!.toFixed(2)}x`.padStart(12)}`);
  }
  out(`  utilisation: ${stats.map((s) => `${s.processor} ${(100 * s.utilisation).toFixed(0)}%${s.restarts ? ` (${s.restarts} restarts)` : ""}`).join(", ")}`);
  for (const n of notes) out(`  note: ${n}`);
}
