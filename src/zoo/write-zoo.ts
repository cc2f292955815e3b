// Writing a zoo: <dir>/<family>-<i>.onnx per model and <dir>/zoo.json (specs, stats, split).
// Model i's spec comes from its own generator seeded by (seed, i), so a larger --count extends
// a smaller zoo of the same seed and families instead of reshuffling it.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { saveModel } from "../../ir/index.ts";
import { seededRandom } from "../../ir/random.ts";
import { generateZooModel } from "./generate.ts";
import { sampleZooSpec } from "./sample.ts";
import { ZOO_PRESETS, type ZooPreset } from "./presets.ts";
import { HELD_OUT_FAMILIES, HELD_OUT_SIZES, splitOf, type ZooSplit } from "./split.ts";
import { zooModelStats, type ZooModelStats } from "./zoo-stats.ts";
import { SIZE_CLASSES, ZOO_FAMILIES, ZOO_IR_VERSION, ZOO_OPSET, type SizeClass, type ZooFamily, type ZooSpec } from "./zoo-spec.ts";

export interface WriteZooOptions {
  count: number;
  seed: number;
  /** Families cycled through in this order (default: all), so every family is represented. */
  families?: readonly ZooFamily[];
  /** Size classes drawn from (default: all, weighted 3:3:1 small:medium:large). */
  sizes?: readonly SizeClass[];
  onModel?: (index: number, entry: ZooEntry) => void;
}

export interface ZooEntry { file: string; split: ZooSplit; bytes: number; spec: ZooSpec; stats: ZooModelStats }

export interface ZooManifest {
  format: "sparoa-zoo";
  version: 1;
  /** What drew the specs: a seeded sample, or named presets. */
  generator: { seed: number; count: number; families: ZooFamily[]; sizes: SizeClass[] } | { seed: number; presets: ZooPreset[] };
  opset: number;
  irVersion: number;
  split: { heldOutFamilies: ZooFamily[]; heldOutSizes: SizeClass[]; rule: string };
  models: ZooEntry[];
}

/** The spec of model `index` of a zoo; what writeZoo writes, without writing. */
export function zooSpecAt(seed: number, index: number, families: readonly ZooFamily[] = ZOO_FAMILIES, sizes: readonly SizeClass[] = SIZE_CLASSES): ZooSpec {
  const rng = seededRandom((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  return sampleZooSpec(rng, { family: families[index % families.length]!, sizes });
}

export function writeZoo(dir: string, options: WriteZooOptions): ZooManifest {
  const families = [...(options.families ?? ZOO_FAMILIES)];
  const sizes = [...(options.sizes ?? SIZE_CLASSES)];
  if (!Number.isInteger(options.count) || options.count < 1) throw new Error(`zoo: count must be a positive integer (got ${options.count})`);
  if (families.length === 0 || sizes.length === 0) throw new Error("zoo: no families or no size classes to draw from");
  const specs = Array.from({ length: options.count }, (_, i) => ({ file: `${families[i % families.length]}-${i}.onnx`, spec: () => zooSpecAt(options.seed, i, families, sizes) }));
  return writeSpecs(dir, specs, { seed: options.seed, count: options.count, families, sizes }, options.onModel);
}

/** Writes the named presets as <dir>/<preset>.onnx with a zoo.json of the same form. */
export function writePresets(dir: string, presets: readonly ZooPreset[], seed: number, onModel?: WriteZooOptions["onModel"]): ZooManifest {
  return writeSpecs(dir, presets.map((name) => ({ file: `${name}.onnx`, spec: () => ZOO_PRESETS[name](seed) })), { seed, presets: [...presets] }, onModel);
}

function writeSpecs(dir: string, specs: { file: string; spec: () => ZooSpec }[], generator: ZooManifest["generator"], onModel: WriteZooOptions["onModel"]): ZooManifest {
  mkdirSync(dir, { recursive: true });
  const models: ZooEntry[] = [];
  specs.forEach(({ file, spec: draw }, i) => {
    // One model in memory at a time: large ones hold tens of MB of weights.
    const spec = draw();
    const model = generateZooModel(spec);
    const { bytes } = saveModel(model, join(dir, file));
    const entry: ZooEntry = { file, split: splitOf(spec), bytes, spec, stats: zooModelStats(model) };
    models.push(entry);
    onModel?.(i, entry);
  });
  const manifest: ZooManifest = {
    format: "sparoa-zoo",
    version: 1,
    generator,
    opset: ZOO_OPSET,
    irVersion: ZOO_IR_VERSION,
    split: { heldOutFamilies: [...HELD_OUT_FAMILIES], heldOutSizes: [...HELD_OUT_SIZES], rule: "test when the family or the size class is held out, else train" },
    models,
  };
  // zoo.json last, renamed into place: its presence means every model file is complete.
  const tmp = join(dir, `.zoo.json.tmp-${process.pid}`);
  writeFileSync(tmp, JSON.stringify(manifest, null, 2) + "\n");
  renameSync(tmp, join(dir, "zoo.json"));
  return manifest;
}
