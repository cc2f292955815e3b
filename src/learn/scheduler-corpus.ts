// Training material for the scheduler: the zoo's models of one split (training reads only the
// train split), analysed as `optimize` analyses a model (src/learn/analyse.ts: shapes, cost,
// weight sparsity, a short calibration run), and placement problems on randomly perturbed device
// profiles under randomly drawn hardware states.
import type { Model } from "../../ir/model.ts";
import { analyseForPlacement } from "./analyse.ts";
import { STATE_SCHEMA, type HardwareState } from "../devices/hardware-state.ts";
import { loadProfile, type DeviceProfile } from "../devices/profile.ts";
import { adjustProfile } from "../devices/state-profile.ts";
import { chooseThresholds } from "../planner/thresholds.ts";
import { placementProblem, type PlacementProblem } from "../planner/problem.ts";
import { readZoo, type ZooSplit } from "../zoo/index.ts";

export const TRAINING_PROFILES = ["orin-nano", "agx-orin", "h100-pcie"] as const;

export interface CorpusModel { name: string; model: Model }

/** The zoo's models of one split (at most `maxNodes` nodes each), analysed. */
export async function zooCorpus(dir: string, split: ZooSplit = "train", options: { maxNodes?: number; calibrate?: boolean; onModel?: (done: number, total: number, name: string) => void } = {}): Promise<CorpusModel[]> {
  const { models } = readZoo(dir);
  const chosen = models.filter((m) => m.entry.split === split && m.entry.stats.nodes <= (options.maxNodes ?? Infinity));
  const out: CorpusModel[] = [];
  for (const m of chosen) {
    const name = m.entry.file.replace(/\.onnx$/, "");
    out.push({ name, model: await analyseForPlacement(m.path, { calibrate: options.calibrate }) });
    options.onModel?.(out.length, chosen.length, name);
  }
  return out;
}

/** A snapshot with the CPU `cpuBusy` and the first GPU `gpuBusy` busy (the rest absent). */
export function syntheticState(cpuBusy: number, gpuBusy?: number, cores = 8): HardwareState {
  return {
    schema: STATE_SCHEMA, takenAt: "synthetic", host: "synthetic",
    cpu: { logicalCores: cores, utilisation: cpuBusy, cores: [], load1: cpuBusy * cores, load5: cpuBusy * cores, load15: cpuBusy * cores },
    gpus: gpuBusy === undefined ? [] : [{ source: "nvidia-smi", name: "synthetic", utilisation: gpuBusy }],
    rails: [], absent: {},
  };
}

/** `profile` with each processor's compute and bandwidth scaled by a random factor (x0.6..x1.7). */
export function perturbProfile(profile: DeviceProfile, rand: () => number): DeviceProfile {
  const factor = () => Math.exp((rand() * 2 - 1) * 0.5);
  const processors = Object.fromEntries(Object.entries(profile.processors).map(([name, p]) => {
    const f = factor();
    return [name, { ...p, peakGflops: Object.fromEntries(Object.entries(p.peakGflops).map(([d, g]) => [d, g * f])), memoryBandwidthGBs: p.memoryBandwidthGBs * factor() }];
  }));
  const links = profile.links.map((l) => ({ ...l, bandwidthGBs: l.bandwidthGBs * factor() }));
  return { ...profile, processors, links, measuredTable: undefined };
}

export interface TrainingProblem {
  label: string;
  problem: PlacementProblem;
  state: HardwareState;
  /** The threshold plan (the usual start) and its quadrants. */
  start: Int32Array;
  quadrant: Uint8Array;
}

/** One training problem: a corpus model on a perturbed profile under a random state. */
export function drawProblem(corpus: readonly CorpusModel[], rand: () => number): TrainingProblem {
  const m = corpus[Math.floor(rand() * corpus.length)]!;
  const base = TRAINING_PROFILES[Math.floor(rand() * TRAINING_PROFILES.length)]!;
  const cpuBusy = rand() < 0.5 ? 0 : rand() * 0.9;
  const gpuBusy = rand() < 0.7 ? 0 : rand() * 0.8;
  const state = syntheticState(cpuBusy, gpuBusy);
  const profile = adjustProfile(perturbProfile(loadProfile(base), rand), state).profile;
  const problem = placementProblem(m.model, profile);
  const choice = chooseThresholds(problem);
  return { label: `${m.name}@${base} cpu${(cpuBusy * 100).toFixed(0)}% gpu${(gpuBusy * 100).toFixed(0)}%`, problem, state, start: choice.outcome.assign, quadrant: choice.outcome.quadrant };
}
