// `sparoa profile`: measure this machine through onnxruntime and write a device profile JSON.
import type { Argv, CommandModule } from "yargs";
import { describeHardwareState, readHardwareState } from "../../devices/hardware-state.ts";
import { loadProfile } from "../../devices/profile.ts";
import { assertProfileRunnable } from "../../profiler/providers.ts";
import { probeProviders } from "../../../ort/providers.ts";
import { profileHost, SPARSITY_EVIDENCE } from "../../profiler/profile-host.ts";
import { prepareOutputPath, writeAtomic } from "../output.ts";
import { Progress } from "../progress.ts";
import { CliError } from "../errors.ts";

interface ProfileArgs { output: string; quick: boolean; threads?: number; workers: number; name: string; ep?: string[]; device?: string; json: boolean; state: boolean; stateOutput?: string }

export const profileCommand: CommandModule<object, ProfileArgs> = {
  command: "profile",
  describe: "measure this machine through onnxruntime (per-op latency, bandwidth, dispatch overhead) and write a device profile",
  builder: (y) => (y as Argv<object>)
    .option("output", { alias: "o", type: "string", default: "host-profile.json", describe: "where to write the profile JSON" })
    .option("quick", { type: "boolean", default: false, describe: "a smaller grid and fewer runs (under 20 s)" })
    .option("threads", { type: "number", describe: "intra-op threads per session (default: all cores)" })
    .option("workers", { type: "number", default: 1, describe: "model N CPU workers (cpu0..cpuN-1) of --threads each, linked by worker messages" })
    .option("name", { type: "string", default: "host", describe: "the profile's name" })
    .option("ep", { type: "string", array: true, describe: "execution providers to measure (default: every one onnxruntime-node knows: cpu, webgpu, cuda, tensorrt, xnnpack)" })
    .option("device", { type: "string", describe: "re-measure the processors of this profile (name or path) on this machine; fails clearly when its execution providers are missing here" })
    .option("json", { type: "boolean", default: false, describe: "print the measurement summary as JSON" })
    .option("state", { type: "boolean", default: false, describe: "print the machine's live state instead (CPU/GPU load, clocks, memory, pressure, power rails); measures nothing" })
    .option("state-output", { type: "string", describe: "with --state: also write the snapshot as JSON here (for optimize --state FILE)" })
    .example("$0 profile -o host.json", "measure this machine (under 2 minutes)")
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
    prepareOutputPath(argv.output, "-o");
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
    const r = await profileHost({
      quick: argv.quick, threads: argv.threads, workers: argv.workers, name, providers,
      onPlan: (steps) => { bar = new Progress("profiling", steps, !argv.json); },
      onStep: (label) => bar?.tick(1, label),
    });
    bar?.finish();
    writeAtomic(argv.output, JSON.stringify(r.profile, null, 2) + "\n");
    const seconds = (Date.now() - started) / 1000;
    if (argv.json) {
      process.stdout.write(JSON.stringify({ output: argv.output, seconds, providers: r.providers, cases: r.cases, sparsity: r.sparsity, profile: r.profile }, null, 2) + "\n");
      return;
    }
    const lines: string[] = [];
    lines.push("Execution providers:");
    for (const [ep, s] of Object.entries(r.providers)) lines.push(`  ${ep.padEnd(9)} ${s.available ? "measured" : `unavailable: ${s.reason}`}`);
    for (const [pname, p] of Object.entries(r.profile.processors)) {
      lines.push("", `Processor ${pname} (${p.executionProvider}, ${p.threads} thread(s)): peak ${p.peakGflops.f32} GFLOP/s, memory ${p.memoryBandwidthGBs} GB/s, dispatch ${p.dispatchUs} us/kernel, run overhead ${r.profile.runOverheadUs} us`);
      lines.push("  family        compute  memory  half-MFLOP  fit error");
      for (const [family, e] of Object.entries(p.efficiency)) {
        const err = r.profile.measured?.fitErrorPct?.[`${p.executionProvider}.${family}`];
        lines.push(`  ${family.padEnd(12)}  ${String(e.compute).padStart(7)}  ${String(e.memory).padStart(6)}  ${String(e.computeHalfMflop ?? 0).padStart(10)}  ${err === undefined ? "" : `${err}%`}`);
      }
      for (const [op, e] of Object.entries(p.opEfficiency ?? {})) {
        const err = r.profile.measured?.fitErrorPct?.[`${p.executionProvider}.op:${op}`];
        lines.push(`  ${op.padEnd(12)}  ${String(e.compute).padStart(7)}  ${String(e.memory).padStart(6)}  ${String(e.computeHalfMflop ?? 0).padStart(10)}  ${err === undefined ? "" : `${err}%`}`);
      }
      if (pname !== Object.keys(r.profile.processors)[0]) break;
    }
    if (r.sparsity.length > 0) {
      lines.push("", "Sparsity (speedup of the sparse variant over the dense op):");
      for (const s of r.sparsity) lines.push(`  ${s.id.padEnd(32)} ${s.speedup}x${s.speedup < SPARSITY_EVIDENCE ? "  (no clear effect: dense kernel)" : ""}`);
    }
    lines.push("", `wrote ${argv.output} (${r.cases.length} ops measured in ${seconds.toFixed(1)} s${argv.quick ? ", --quick" : ""})`);
    process.stdout.write(lines.join("\n") + "\n");
  },
};
