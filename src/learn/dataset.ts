// The training and evaluation set: every zoo model analysed once, then placed on the bundled
// profiles and on `perturbed` randomly perturbed ones (drawn per model from a generator seeded by
// (seed, model index), so a dataset is reproducible), each pair labelled by the grid search.
import { seededRandom } from "../../ir/random.ts";
import type { DeviceProfile } from "../devices/profile.ts";
import { placementProblem } from "../planner/problem.ts";
import { predictorInput, type PredictorInput } from "../predictor/features.ts";
import { bundledTrainingProfiles, perturbProfile } from "../predictor/profiles.ts";
import { readZoo, type ZooSplit } from "../zoo/index.ts";
import { analyseForPlacement } from "./analyse.ts";
import { labelProblem, type ThresholdLabels } from "./labels.ts";

export interface Sample {
  model: string;
  family: string;
  size: string;
  split: ZooSplit;
  profile: string;
  /** Bundled (spec-sheet) profile or a perturbed one. */
  perturbed: boolean;
  input: PredictorInput;
  labels: ThresholdLabels;
}

export interface DatasetOptions {
  /** Profiles labelled as they are and perturbed (default: orin-nano, agx-orin, h100-pcie). */
  baseProfiles?: DeviceProfile[];
  /** Perturbed profiles per model (default 5). */
  perturbed?: number;
  seed?: number;
  steps: number;
  /** Activation sparsity from a calibration run (default true). */
  calibrate?: boolean;
  onModel?: (done: number, total: number, file: string) => void;
}

export function profilesFor(modelIndex: number, options: { perturbed?: number; seed?: number; baseProfiles?: DeviceProfile[] }): DeviceProfile[] {
  const rand = seededRandom((Math.imul((options.seed ?? 0) >>> 0, 0x9e3779b1) ^ Math.imul(modelIndex + 1, 0x85ebca6b)) >>> 0);
  const bundled = options.baseProfiles ?? bundledTrainingProfiles();
  const out = [...bundled];
  for (let k = 0; k < (options.perturbed ?? 5); k++) out.push(perturbProfile(bundled[Math.floor(rand() * bundled.length)]!, rand, `m${modelIndex}p${k}`));
  return out;
}

export async function buildDataset(zooDir: string, options: DatasetOptions): Promise<Sample[]> {
  const { models } = readZoo(zooDir);
  const samples: Sample[] = [];
  for (const [index, ref] of models.entries()) {
    const model = await analyseForPlacement(ref.path, { calibrate: options.calibrate });
    for (const profile of profilesFor(index, options)) {
      const problem = placementProblem(model, profile);
      samples.push({
        model: ref.entry.file, family: ref.entry.spec.family, size: ref.entry.spec.size, split: ref.entry.split,
        profile: profile.name, perturbed: profile.name.includes("~"),
        input: predictorInput(problem, options.steps), labels: labelProblem(problem),
      });
    }
    options.onModel?.(index + 1, models.length, ref.entry.file);
  }
  return samples;
}

/** JSON form (typed arrays as plain arrays). */
export function datasetToJson(samples: readonly Sample[]): string {
  return JSON.stringify(samples.map((s) => ({ ...s, input: { ...s.input, sequence: Array.from(s.input.sequence), context: Array.from(s.input.context) } })));
}

export function datasetFromJson(text: string): Sample[] {
  const raw = JSON.parse(text) as (Omit<Sample, "input"> & { input: { sequence: number[]; context: number[]; steps: number } })[];
  return raw.map((s) => ({ ...s, input: { steps: s.input.steps, sequence: Float32Array.from(s.input.sequence), context: Float32Array.from(s.input.context) } }));
}
