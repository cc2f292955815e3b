// The model zoo generator's public surface (docs/zoo.md).
export * from "./zoo-spec.ts";
export { generateZooModel, ZOO_SPEC_KEY } from "./generate.ts";
export { sampleZooSpec, type SampleOptions } from "./sample.ts";
export { ZOO_PRESETS, isZooPreset, type ZooPreset } from "./presets.ts";
export { HELD_OUT_FAMILIES, HELD_OUT_SIZES, splitOf, type ZooSplit } from "./split.ts";
export { zooModelStats, type ZooModelStats } from "./zoo-stats.ts";
export { writeZoo, writePresets, zooSpecAt, type WriteZooOptions, type ZooEntry, type ZooManifest } from "./write-zoo.ts";
export type { Rng } from "./rng.ts";
export { readZoo, ZooError, type ZooModelRef } from "./read-zoo.ts";
