// The deployable package that `sparoa optimize` writes and the runtime runs: partition models
// plus this manifest (manifest.json), schema `sparoa.package.v2` (docs/package-format.md).

/** The schema new packages are written with. v2 renamed `partitions[].device` to `processor`. */
export const PACKAGE_SCHEMA = "sparoa.package.v2";
/** Older schemas readers still accept; `validateManifest` reads them as the current one, in memory. */
export const LEGACY_PACKAGE_SCHEMAS = ["sparoa.package.v1"] as const;

/** metadata_props of each node of a processor-annotated model: its processor, and optionally its partition id. */
export const PROCESSOR_KEY = "sparoa.processor";
/** What packages before v2 (and their annotated models) called PROCESSOR_KEY; read, never written. */
export const LEGACY_PROCESSOR_KEY = "sparoa.device";
export const PARTITION_KEY = "sparoa.partition";

/** A node's processor from its metadata_props, under the current key or the one older packages wrote. */
export function processorOf(metadata: ReadonlyMap<string, string>): string | undefined {
  return metadata.get(PROCESSOR_KEY) ?? metadata.get(LEGACY_PROCESSOR_KEY);
}

export interface TensorSpec {
  name: string;
  /** ONNX short dtype name, e.g. "f32", "i64". */
  dtype: string;
  /** Dimensions; strings are symbolic (e.g. "batch"), null unknown. */
  shape: (number | string | null)[] | null;
}

export interface PartitionSpec {
  id: number;
  /** Processor of the plan's device profile ("cpu", "gpu"); the runtime's processor map says which provider runs it. */
  processor: string;
  /** Partition model file, relative to the manifest. */
  file: string;
  /** Value names this partition reads: model inputs or outputs of earlier partitions. */
  inputs: string[];
  /** Value names it produces that model outputs or later partitions read. */
  outputs: string[];
  /** Ids of partitions whose outputs it reads. Partitions are listed in a topological order. */
  dependsOn: number[];
  nodes: number;
  predictedMs?: number;
}

export interface PackageManifest {
  schema: typeof PACKAGE_SCHEMA;
  /** The original model file's name and its interface. */
  source: { file: string; inputs: TensorSpec[]; outputs: TensorSpec[] };
  partitions: PartitionSpec[];
  /** Tensors crossing between partitions on different processors. */
  boundaries: { name: string; from: number; to: number[]; bytes: number | null }[];
  /** Device profile name the plan was made for, the thresholds and the predictions. */
  plan: {
    profile: string;
    thresholds?: { sparsity: number; intensity: number };
    predictedMs?: number;
    baselines?: Record<string, number>;
    /** The input shapes the plan was made for (after --input-shape); partitions accept what the source accepts. */
    inputShapes?: Record<string, (number | string | null)[] | null>;
  };
  /** Also written: the whole model with per-node sparoa.* metadata_props. */
  annotatedModel?: string;
  /**
   * onnxruntime's own layer assignment for the annotated model: every node's metadata_props
   * `key` ("layer_ann") and the `session.layer_assignment_settings` string that maps it to
   * onnxruntime devices (docs/deploy.md).
   */
  layerAssignment?: { key: string; settings: string };
}
