// Is the machine busy with other work while we measure? Other work only ever adds time, so a
// profile measured on a loaded machine is slower than the machine is: the profile says so
// (`measured.load`), and so does `sparoa profile`'s output.
import { availableParallelism, loadavg } from "node:os";
import { readCpuJiffies } from "../devices/hardware-state.ts";
import type { MeasurementLoad } from "../devices/profile.ts";

/** Other work above this share of all cores before measuring counts as load. */
const BUSY_LIMIT = 0.2;
/** A 1-minute load average above this many runnable tasks per core counts as load. */
const LOAD_PER_CORE_LIMIT = 0.5;
/** Steal above this share of CPU time (a hypervisor running other guests on our cores) counts. */
const STEAL_LIMIT = 0.03;

type Jiffies = NonNullable<ReturnType<typeof readCpuJiffies>>;
export interface LoadProbe { load1: number; cores: number; busy?: number; start?: Jiffies }

const share = (x: number, total: number) => (total > 0 ? Math.min(1, Math.max(0, x / total)) : 0);

/** Samples the machine for `windowMs` before measuring starts (nothing of ours runs yet). */
export async function probeLoadBefore(windowMs = 300): Promise<LoadProbe> {
  const a = readCpuJiffies();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const b = readCpuJiffies();
  const probe: LoadProbe = { load1: loadavg()[0] ?? 0, cores: availableParallelism(), start: b };
  if (a && b) probe.busy = share(b.busy - a.busy, b.total - a.total);
  return probe;
}

/** The load report once measuring is done: steal over the whole measurement, load before and after. */
export function finishLoadReport(before: LoadProbe): MeasurementLoad {
  const end = readCpuJiffies();
  const steal = before.start && end ? share(end.steal - before.start.steal, end.total - before.start.total) : undefined;
  const load1After = loadavg()[0] ?? 0;
  const signs: string[] = [];
  const perCore = before.load1 / before.cores;
  if (perCore > LOAD_PER_CORE_LIMIT) signs.push(`load average ${before.load1.toFixed(1)} on ${before.cores} cores before measuring`);
  if (before.busy !== undefined && before.busy > BUSY_LIMIT) signs.push(`${(before.busy * 100).toFixed(0)}% of the cores busy with other work before measuring`);
  if (steal !== undefined && steal > STEAL_LIMIT) signs.push(`${(steal * 100).toFixed(1)}% of CPU time stolen by the hypervisor while measuring`);
  const quiet = `load average ${before.load1.toFixed(1)} on ${before.cores} cores${before.busy !== undefined ? `, ${(before.busy * 100).toFixed(0)}% busy` : ""}${steal !== undefined ? `, steal ${(steal * 100).toFixed(1)}%` : ""}`;
  const round = (x: number) => Number(x.toFixed(3));
  return {
    load1Before: round(before.load1), load1After: round(load1After), cores: before.cores,
    ...(before.busy !== undefined ? { busyBefore: round(before.busy) } : {}),
    ...(steal !== undefined ? { steal: round(steal) } : {}),
    loaded: signs.length > 0,
    reason: signs.length > 0 ? signs.join("; ") : `quiet: ${quiet}`,
  };
}
