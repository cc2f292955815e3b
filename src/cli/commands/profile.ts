// `sparoa profile`: measure this machine through onnxruntime and write a device profile JSON.
import type { Argv, CommandModule } from "yargs";
import { describeHardwareState, readHardwareState } from "../../devices/hardware-state.ts";
import { HOST_PROFILE, loadProfile } from "../../devices/profile.ts";
import { liveHostProfile } from "../../profiler/live-host.ts";
import { assertProfileRunnable } from "../../profiler/profile-runnable.ts";
import { probeProviders } from "../../../ort/providers.ts";
import { profileHost, SPARSITY_EVIDENCE } from "../../profiler/profile-host.ts";
import { prepareOutputPath, writeAtomic } from "../../io/output.ts";
import { Progress } from "../../io/progress.ts";
import { CliError } from "../errors.ts";

interface ProfileArgs { output?: string; refresh: boolean; quick: boolean; threads?: number; workers: number; name: string; ep?: string[]; device?: string; json: boolean; state: boolean; stateOutput?: string }

export const profileCommand: CommandModule<object, ProfileArgs> = {
  command: "profile",
  describe: "measure this machine through onnxruntime (per-op latency, bandwidth, dispatch overhead) and write a device profile",
  builder: (y) => (y as Argv<object>)
    .option("output", { alias: "o", type: "string", describe: "where to write the profile JSON (default host-profile.json; with --refresh only when given)" })
    .option("refresh", { type: "boolean", default: false, describe: "re-measure the live host profile (--device host) and replace its cached copy" })
    .option("quick", { type: "boolean", default: false, describe: "a smaller grid and fewer runs (under 20 s)" })
    .option("threads", { type: "number", describe: "intra-op threads per session (default: all cores)" })
    .option("workers", { type: "number", default: 1, describe: "model N CPU workers (cpu0..cpuN-1) of --threads each, linked by worker messages" })
    .option("name", { type: "string", default: "host", describe: "the profile's name" })
    .option("ep", { type: "string", array: true, describe: "execution providers to measure (default: every one onnxruntime-node knows: cpu, webgpu, cuda, tensorrt, xnnpack)" })
    .option("device", { type: "string", describe: "re-measure the processors of this profile (name or path) on this machine; fails clearly when its execution providers are missing here" })
    .option("json", { type: "boolean", default: false, describe: "print the measurement summary as JSON" })
    .option("state", { type: "boolean", default: false, describe: "print the machine's live state instead (CPU/GPU load, clocks, memory, pressure, power rails); measures nothing" })
    .option("state-output", { type: "string", describe: "with --state: also write the snapshot as JSON here (for optimize --state FILE)" })
    .example("$0 profile -o host.json", "measure this machine (about a minute)")
    .example("$0 profile --refresh", "re-measure the profile --device host uses (cached per machine under ~/.cache/sparoa)")
    .example("$0 profile --quick --threads 1 --workers 2 -o host-2x1.json", "two one-thread CPU workers, for split plans")
    .example("$0 profile --state", "what the CPU and GPU are doing now (unreadable sensors are listed as absent)")
    .example("$0 profile --state --state-output busy.json", "save a snapshot to plan against later")
    .example("$0 profile --device orin-nano", "re-measure a Jetson profile (only works on the Jetson)") as unknown as Argv<ProfileArgs>,
  handler: async (argv) => {
    if (argv.state) {
      const snapshot = await readHardwareState();
      if (argv.stateOutput) writeAtomic(argv.stateOutput, JSON.stringify(snapshot, null, 2) + "\n");
      process.stdout.write(argv.json ? JSON.stringify(snapshot, null, 2) + "\n" : describeHardwareState(snapshot).join("\n") + "\n");
      return;
    }
    if (argv.refresh && (argv.quick || argv.workers !== 1 || argv.ep || argv.device || argv.name !== HOST_PROFILE)) {
      throw new CliError("--refresh re-measures the live host profile (every provider, one worker, the full grid): drop --quick, --workers, --ep, --device and --name, or write a custom profile with -o instead");
    }
    const output = argv.output ?? (argv.refresh ? undefined : "host-profile.json");
    if (output) prepareOutputPath(output, "-o");
    if (argv.workers < 1 || !Number.isInteger(argv.workers)) throw new CliError(`--workers must be a positive integer (got ${argv.workers})`);
    if (argv.threads !== undefined && (argv.threads < 1 || !Number.isInteger(argv.threads))) throw new CliError(`--threads must be a positive integer (got ${argv.threads})`);
    let providers = argv.ep;
    let name = argv.name;
    if (argv.device) {
      const target = loadProfile(argv.device);
      assertProfileRunnable(target);
      providers = [...new Set(Object.values(target.processors).map((p) => p.executionProvider))];
      name = target.name;
    } else if (providers) {
      const status = probeProviders(providers);
      const missing = providers.filter((ep) => !status[ep]?.available);
      if (missing.length === providers.length) {
        throw new CliError(`cannot measure ${missing.map((ep) => `'${ep}' (${status[ep]?.reason ?? "unknown provider"})`).join(", ")} on this machine`);
      }
    }
    let bar: Progress | undefined;
    const started = Date.now();
    let cachedAt: string | undefined;
    let r;
    if (argv.refresh) {
      const live = await liveHostProfile({ refresh: true, threads: argv.threads, report: !argv.json });
      r = live.result!;
      cachedAt = live.path;
    } else {
      r = await profileHost({
        mode: argv.quick ? "quick" : "full", threads: argv.threads, workers: argv.workers, name, providers,
        onPlan: (steps) => { bar = new Progress("profiling", steps, !argv.json); },
        onStep: (label) => bar?.tick(1, label),
      });
      bar?.finish();
    }
    if (output) writeAtomic(output, JSON.stringify(r.profile, null, 2) + "\n");
    const seconds = (Date.now() - started) / 1000;
    const load = r.profile.measured?.load;
    if (load?.loaded && !argv.json && !argv.refresh) process.stderr.write(`sparoa: warning: the machine was loaded while measuring (${load.reason}): the figures are slower than this machine when quiet; rerun when it is quiet\n`);
    if (argv.json) {
      process.stdout.write(JSON.stringify({ output: output ?? null, cachedAt: cachedAt ?? null, seconds, providers: r.providers, cases: r.cases, sparsity: r.sparsity, profile: r.profile }, null, 2) + "\n");
      return;
    }
    const lines: string[] = [];
    lines.push("Execution providers:");
    for (const [ep, s] of Object.entries(r.providers)) lines.push(`  ${ep.padEnd(9)} ${s.available ? "measured" : `unavailable: ${s.reason}`}`);
    const spread = r.profile.measured?.spread ?? {};
    const reps = r.profile.measured?.repetitions ?? 1;
    // A figure with the range of its repetitions' fits: "125 [93-132]".
    const withRange = (value: number, path: string) => {
      const sp = spread[path];
      return sp && reps > 1 ? `${value} [${sp.min}-${sp.max}]` : String(value);
    };
    const pct = (path: string) => { const sp = spread[path]; return sp && reps > 1 ? `${sp.rangePct.toFixed(0)}%` : ""; };
    for (const [pname, p] of Object.entries(r.profile.processors)) {
      const at = (f: string) => `processors.${pname}.${f}`;
      lines.push("", `Processor ${pname} (${p.executionProvider}, ${p.threads} thread(s))${reps > 1 ? `, medians of ${reps} repetitions [range of the repetitions' fits]` : ""}:`);
      lines.push(`  peak ${withRange(p.peakGflops.f32, at("peakGflops.f32"))} GFLOP/s, memory ${withRange(p.memoryBandwidthGBs, at("memoryBandwidthGBs"))} GB/s, dispatch ${withRange(p.dispatchUs, at("dispatchUs"))} us/kernel, run overhead ${withRange(r.profile.runOverheadUs, "runOverheadUs")} us`);
      lines.push("  family        compute   range  memory   range  half-MFLOP   range  small-share  fit error   (range: (max - min) / median of the repetitions' fits)");
      const row = (label: string, e: { compute: number; memory: number; computeHalfMflop?: number; computeSmallShare?: number }, path: string, err: number | undefined) =>
        `  ${label.padEnd(12)}  ${String(e.compute).padStart(7)}  ${pct(`${path}.compute`).padStart(6)}  ${String(e.memory).padStart(6)}  ${pct(`${path}.memory`).padStart(6)}  ${String(e.computeHalfMflop ?? 0).padStart(10)}  ${pct(`${path}.computeHalfMflop`).padStart(6)}  ${String(e.computeSmallShare ?? 0).padStart(11)}  ${err === undefined ? "" : `${err}%`}`;
      for (const [family, e] of Object.entries(p.efficiency)) lines.push(row(family, e, at(`efficiency.${family}`), r.profile.measured?.fitErrorPct?.[`${p.executionProvider}.${family}`]));
      for (const [op, e] of Object.entries(p.opEfficiency ?? {})) lines.push(row(op, e, at(`opEfficiency.${op}`), r.profile.measured?.fitErrorPct?.[`${p.executionProvider}.op:${op}`]));
      if (pname !== Object.keys(r.profile.processors)[0]) break;
    }
    for (const c of r.profile.contention ?? []) {
      const at = (xs: number[]) => xs.map((x, j) => `${j + 2}: x${x}`).join(", ");
      lines.push("", `Contention of ${c.processors.join(", ")} (time with N workers busy at once / alone): compute-bound ${at(c.computeSlowdown)}; memory-bound ${at(c.memorySlowdown)}`);
    }
    if (r.profile.cutCosts) {
      lines.push("", `Cut between partitions, per side (the crossing tensor's bytes at): ${Object.entries(r.profile.cutCosts).map(([family, c]) => `${family} ${c.bandwidthGBs} GB/s${c.latencyUs ? ` + ${c.latencyUs} us` : ""}`).join(", ")}`);
    }
    if (r.sparsity.length > 0) {
      lines.push("", "Sparsity (speedup of the sparse variant over the dense op):");
      for (const s of r.sparsity) lines.push(`  ${s.id.padEnd(32)} ${s.speedup}x${s.speedup < SPARSITY_EVIDENCE ? "  (no clear effect: dense kernel)" : ""}`);
    }
    if (load) lines.push("", `Machine load: ${load.loaded ? "LOADED" : "quiet"} (${load.reason})`);
    const wrote = [output, cachedAt && `the live host profile cache ${cachedAt}`].filter(Boolean).join(" and ");
    lines.push("", `wrote ${wrote} (${r.cases.length} ops measured in ${seconds.toFixed(1)} s${argv.quick ? ", --quick" : ""})`);
    process.stdout.write(lines.join("\n") + "\n");
  },
};
