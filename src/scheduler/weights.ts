// The scheduler's weights file (`sparoa train scheduler -o scheduler.json`, and the bundled
// src/scheduler/weights/scheduler.json): the SAC networks as plain arrays plus what they were
// trained on. Reading checks every field before anything is allocated from it; a bad file fails
// with one line naming the file and the field.
import { SparoaError } from "../../ir/sparoa-error.ts";
import { readJsonFile } from "../io/json-file.ts";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DenseWeights } from "./mlp.ts";
import { Mlp } from "./mlp.ts";
import { ACTIONS, OBSERVATION_FEATURES, OBSERVATION_SIZE } from "./observation.ts";
import type { SacConfig, SacWeights } from "./sac.ts";

export const SCHEDULER_SCHEMA = "sparoa.scheduler.v1";
export const BUNDLED_SCHEDULER = join(dirname(fileURLToPath(import.meta.url)), "weights", "scheduler.json");
/** Largest hidden width a file may ask for (sizes are checked before any allocation). */
const MAX_HIDDEN = 1024;

export interface TrainingInfo {
  seed: number;
  steps: number;
  updates: number;
  /** Zoo models trained on (train split only) and the profiles perturbed around. */
  models: string[];
  profiles: string[];
  date: string;
  seconds: number;
  /** Mean Q loss over the first and last tenth of the updates. */
  qLossFirst: number;
  qLossLast: number;
}

export interface SchedulerWeights {
  schema: typeof SCHEDULER_SCHEMA;
  observation: string[];
  actions: string[];
  config: SacConfig;
  training: TrainingInfo;
  nets: SacWeights;
}

export class SchedulerWeightsError extends SparoaError {
  override name = "SchedulerWeightsError";
}

export function loadSchedulerWeights(path = BUNDLED_SCHEDULER): SchedulerWeights {
  return validateSchedulerWeights(readJsonFile(path, "scheduler weights", (m) => new SchedulerWeightsError(m)), path);
}

export function validateSchedulerWeights(json: unknown, source = "scheduler weights"): SchedulerWeights {
  const fail = (field: string, what: string): never => { throw new SchedulerWeightsError(`${source}: field '${field}' ${what}`); };
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObj(json)) return fail("(root)", "must be an object");
  if (json.schema !== SCHEDULER_SCHEMA) fail("schema", `must be "${SCHEDULER_SCHEMA}" (got ${JSON.stringify(json.schema)})`);
  if (!Array.isArray(json.observation) || json.observation.join(",") !== OBSERVATION_FEATURES.join(",")) fail("observation", `must list this build's ${OBSERVATION_SIZE} features (${OBSERVATION_FEATURES.join(", ")}); the file was trained on other features`);
  if (!Array.isArray(json.actions) || json.actions.join(",") !== ACTIONS.join(",")) fail("actions", `must be ${JSON.stringify(ACTIONS)}`);
  const c = json.config;
  if (!isObj(c)) return fail("config", "is missing or not an object");
  if (c.observation !== OBSERVATION_SIZE) fail("config.observation", `must be ${OBSERVATION_SIZE} (got ${JSON.stringify(c.observation)})`);
  if (c.actions !== ACTIONS.length) fail("config.actions", `must be ${ACTIONS.length} (got ${JSON.stringify(c.actions)})`);
  if (!Number.isInteger(c.hidden) || (c.hidden as number) < 1 || (c.hidden as number) > MAX_HIDDEN) fail("config.hidden", `must be a whole number in 1..${MAX_HIDDEN} (got ${JSON.stringify(c.hidden)})`);
  for (const [k, lo, hi] of [["gamma", 0, 1], ["tau", 0, 1], ["learningRate", 0, 1], ["targetEntropyRatio", 0, 1]] as const) {
    const v = c[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi) fail(`config.${k}`, `must be a number in ${lo}..${hi} (got ${JSON.stringify(v)})`);
  }
  for (const k of ["batch", "replayCapacity"] as const) if (!Number.isInteger(c[k]) || (c[k] as number) < 1 || (c[k] as number) > 10_000_000) fail(`config.${k}`, `must be a whole number >= 1 (got ${JSON.stringify(c[k])})`);
  if (!isObj(json.training)) fail("training", "is missing or not an object");
  const nets = json.nets;
  if (!isObj(nets)) return fail("nets", "is missing or not an object");
  const sizes = [OBSERVATION_SIZE, c.hidden as number, c.hidden as number, ACTIONS.length];
  const shapes = Mlp.shapes(sizes);
  for (const net of ["actor", "q1", "q2"] as const) {
    const layers = nets[net];
    if (!Array.isArray(layers) || layers.length !== shapes.length) fail(`nets.${net}`, `must be an array of ${shapes.length} tensors`);
    (layers as unknown[]).forEach((t, k) => checkTensor(t, shapes[k]!, `nets.${net}[${k}]`, fail));
  }
  if (typeof nets.logAlpha !== "number" || !Number.isFinite(nets.logAlpha) || Math.abs(nets.logAlpha) > 50) fail("nets.logAlpha", `must be a finite number (got ${JSON.stringify(nets.logAlpha)})`);
  return json as unknown as SchedulerWeights;
}

function checkTensor(t: unknown, shape: readonly number[], field: string, fail: (field: string, what: string) => never): void {
  if (typeof t !== "object" || t === null) fail(field, "must be an object with shape and data");
  const { shape: s, data } = t as Partial<DenseWeights>;
  if (!Array.isArray(s) || s.join("x") !== shape.join("x")) fail(`${field}.shape`, `must be [${shape.join(", ")}] (got ${JSON.stringify(s)})`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (!Array.isArray(data) || data.length !== n) fail(`${field}.data`, `must hold ${n} numbers (got ${Array.isArray(data) ? data.length : typeof data})`);
  for (let k = 0; k < n; k++) if (typeof data![k] !== "number" || !Number.isFinite(data![k])) fail(`${field}.data[${k}]`, `must be a finite number (got ${JSON.stringify(data![k])})`);
}
