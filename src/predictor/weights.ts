// The predictor file (`sparoa train predictor -o predictor.json`; the bundled one is
// src/predictor/bundled/predictor.json): architecture, feature names, context normalisation and
// training range, the parameters as base64 float32 (little-endian), and how it was trained.
// Loading checks everything against this sparoa's features and the architecture's shapes, and
// fails with one line naming the file and the field.
import { SparoaError } from "../../ir/sparoa-error.ts";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PREDICTOR_KINDS, PREDICTOR_OUTPUTS, parameterShapes, type PredictorConfig } from "./architecture.ts";
import { CONTEXT_FEATURES, NODE_FEATURES } from "./features.ts";
import type { Params } from "./forward.ts";

export const PREDICTOR_FORMAT = "sparoa-threshold-predictor";
export const PREDICTOR_VERSION = 1;

export interface TrainingRecord {
  command: string;
  seed: number;
  epochs: number;
  bestEpoch: number;
  trainLoss: number;
  validationLoss: number;
  samples: { train: number; validation: number };
  zoo: string;
  date: string;
  ms: number;
}

export interface PredictorFile {
  format: typeof PREDICTOR_FORMAT;
  version: number;
  config: PredictorConfig;
  nodeFeatures: string[];
  contextFeatures: string[];
  /** Context normalisation (training set mean and standard deviation) and range (min, max). */
  contextMean: number[];
  contextStd: number[];
  contextMin: number[];
  contextMax: number[];
  params: Record<string, { shape: number[]; data: string }>;
  /** Bins judged beside the predicted one (src/learn/portfolio.ts); absent in older files. */
  portfolio?: number[];
  training?: TrainingRecord;
}

export interface Predictor {
  file: string;
  config: PredictorConfig;
  params: Params;
  contextMean: Float32Array;
  contextStd: Float32Array;
  contextMin: Float32Array;
  contextMax: Float32Array;
  /** Bin indices placed and judged beside the predicted bin, in order (empty: none). */
  portfolio: number[];
  training?: TrainingRecord;
  /** Size of the parameters (float32 bytes). */
  bytes: number;
}

export class PredictorError extends SparoaError {}

export const BUNDLED_PREDICTOR = join(dirname(fileURLToPath(import.meta.url)), "bundled", "predictor.json");

export function encodeFloats(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
}

function decodeFloats(text: string, where: string): Float32Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length % 4 !== 0) throw new PredictorError(`${where}: ${bytes.length} bytes is not a whole number of float32 values`);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

export function predictorToJson(p: Omit<Predictor, "file" | "bytes">): PredictorFile {
  return {
    format: PREDICTOR_FORMAT, version: PREDICTOR_VERSION, config: p.config,
    nodeFeatures: [...NODE_FEATURES], contextFeatures: [...CONTEXT_FEATURES],
    contextMean: Array.from(p.contextMean), contextStd: Array.from(p.contextStd), contextMin: Array.from(p.contextMin), contextMax: Array.from(p.contextMax),
    params: Object.fromEntries(parameterShapes(p.config).map(([name, shape]) => [name, { shape, data: encodeFloats(p.params.get(name)!) }])),
    ...(p.portfolio.length ? { portfolio: [...p.portfolio] } : {}),
    ...(p.training ? { training: p.training } : {}),
  };
}

const sameList = (a: unknown, b: readonly string[]) => Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);

export function loadPredictor(file: string = BUNDLED_PREDICTOR): Predictor {
  let raw: PredictorFile;
  try {
    raw = JSON.parse(readFileSync(file, "utf8")) as PredictorFile;
  } catch (e) {
    throw new PredictorError(`${file}: cannot read the predictor (${(e as Error).message.split("\n")[0]})`);
  }
  if (raw === null || typeof raw !== "object" || raw.format !== PREDICTOR_FORMAT) throw new PredictorError(`${file}: format is ${JSON.stringify((raw as { format?: unknown } | null)?.format)}, expected "${PREDICTOR_FORMAT}" (write one with 'sparoa train predictor')`);
  if (raw.version !== PREDICTOR_VERSION) throw new PredictorError(`${file}: version ${raw.version}; this sparoa reads version ${PREDICTOR_VERSION}`);
  const c = raw.config;
  if (!c || !PREDICTOR_KINDS.includes(c.kind)) throw new PredictorError(`${file}: config.kind ${JSON.stringify(c?.kind)}: expected ${PREDICTOR_KINDS.join(" or ")}`);
  if (!PREDICTOR_OUTPUTS.includes(c.output)) throw new PredictorError(`${file}: config.output ${JSON.stringify(c.output)}: expected ${PREDICTOR_OUTPUTS.join(" or ")}`);
  if (c.output === "bins" && c.bins < 2) throw new PredictorError(`${file}: config.bins ${JSON.stringify(c.bins)}: expected a whole number >= 2`);
  for (const key of ["steps", "nodeFeatures", "contextFeatures", "d", "heads", "ffn", "lstm", "hidden", "bins"] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1 || c[key] > 4096) throw new PredictorError(`${file}: config.${key} ${JSON.stringify(c[key])}: expected a whole number 1..4096`);
  }
  if (c.d % c.heads !== 0) throw new PredictorError(`${file}: config.d ${c.d} is not a multiple of config.heads ${c.heads}`);
  if (!sameList(raw.nodeFeatures, NODE_FEATURES) || c.nodeFeatures !== NODE_FEATURES.length) throw new PredictorError(`${file}: nodeFeatures differ from this sparoa's (${NODE_FEATURES.length} features): retrain with 'sparoa train predictor'`);
  if (!sameList(raw.contextFeatures, CONTEXT_FEATURES) || c.contextFeatures !== CONTEXT_FEATURES.length) throw new PredictorError(`${file}: contextFeatures differ from this sparoa's (${CONTEXT_FEATURES.length} features): retrain with 'sparoa train predictor'`);
  const vector = (key: "contextMean" | "contextStd" | "contextMin" | "contextMax") => {
    const v = raw[key];
    if (!Array.isArray(v) || v.length !== CONTEXT_FEATURES.length || !v.every((x) => typeof x === "number" && Number.isFinite(x))) throw new PredictorError(`${file}: ${key} must be ${CONTEXT_FEATURES.length} finite numbers`);
    return Float32Array.from(v);
  };
  const params: Params = new Map();
  let bytes = 0;
  const known = new Set(parameterShapes(c).map(([name]) => name));
  for (const name of Object.keys(raw.params ?? {})) if (!known.has(name)) throw new PredictorError(`${file}: params.${name} is not a parameter of a ${c.kind} predictor`);
  for (const [name, shape] of parameterShapes(c)) {
    const entry = raw.params?.[name];
    if (!entry) throw new PredictorError(`${file}: params.${name} is missing`);
    if (!Array.isArray(entry.shape) || entry.shape.join("x") !== shape.join("x")) throw new PredictorError(`${file}: params.${name} has shape ${JSON.stringify(entry.shape)}, expected [${shape.join(",")}] for this config`);
    if (typeof entry.data !== "string") throw new PredictorError(`${file}: params.${name}.data must be base64 text`);
    const data = decodeFloats(entry.data, `${file}: params.${name}`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new PredictorError(`${file}: params.${name} holds ${data.length} values, expected ${size}`);
    if (!data.every(Number.isFinite)) throw new PredictorError(`${file}: params.${name} holds a value that is not finite`);
    params.set(name, data);
    bytes += data.byteLength;
  }
  const contextStd = vector("contextStd");
  if (contextStd.some((s) => s <= 0)) throw new PredictorError(`${file}: contextStd must be > 0`);
  const portfolio = raw.portfolio ?? [];
  const binCount = c.output === "bins" ? c.bins * c.bins : 0;
  if (!Array.isArray(portfolio) || !portfolio.every((b) => Number.isInteger(b) && b >= 0 && b < binCount) || new Set(portfolio).size !== portfolio.length) {
    throw new PredictorError(`${file}: portfolio must be distinct bin indices 0..${binCount - 1}${c.output === "bins" ? "" : " (none: this predictor has no bins)"}`);
  }
  return { file, config: c, params, portfolio, contextMean: vector("contextMean"), contextStd, contextMin: vector("contextMin"), contextMax: vector("contextMax"), training: raw.training, bytes };
}
