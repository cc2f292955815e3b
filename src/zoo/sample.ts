// The seeded sampler: one draw of family, size class, family parameters, activation, pruning
// and weight seed. The same generator state gives the same spec.
import { FAMILIES } from "./family-registry.ts";
import { int, pick, uniform, type Rng } from "./rng.ts";
import { PRUNING_KINDS, SIZE_CLASSES, ZOO_FAMILIES, type Pruning, type SizeClass, type ZooFamily, type ZooSpec } from "./zoo-spec.ts";

export interface SampleOptions {
  /** Draw only from these (default: all). */
  families?: readonly ZooFamily[];
  sizes?: readonly SizeClass[];
  /** Fixes the family or size instead of drawing it. */
  family?: ZooFamily;
  size?: SizeClass;
}

/** Level ranges per kind: what published pruned models use (channel pruning is kept milder). */
const PRUNING_LEVELS: Record<Exclude<Pruning["kind"], "none">, [number, number]> = {
  unstructured: [0.3, 0.9],
  channel: [0.1, 0.5],
  block1x4: [0.3, 0.8],
};

export function sampleZooSpec(r: Rng, options: SampleOptions = {}): ZooSpec {
  const family = options.family ?? pick(r, options.families ?? ZOO_FAMILIES);
  const size = options.size ?? pickSize(r, options.sizes ?? SIZE_CLASSES);
  return sampleFamily(r, family, size);
}

/** Large models are few (3:3:1): they dominate disk and labelling time, and one class is enough to test scale. */
const SIZE_WEIGHTS: Record<SizeClass, number> = { small: 3, medium: 3, large: 1 };

function pickSize(r: Rng, sizes: readonly SizeClass[]): SizeClass {
  const total = sizes.reduce((a, s) => a + SIZE_WEIGHTS[s], 0);
  let x = r() * total;
  for (const s of sizes) if ((x -= SIZE_WEIGHTS[s]) < 0) return s;
  return sizes.at(-1)!;
}

function sampleFamily<F extends ZooFamily>(r: Rng, family: F, size: SizeClass): ZooSpec {
  const def = FAMILIES[family];
  const { params, resolution } = def.sample(r, size);
  const activation = pick(r, def.activations);
  const kind = pick(r, PRUNING_KINDS);
  const pruning: Pruning = kind === "none" ? { kind, level: 0 } : { kind, level: Math.round(uniform(r, ...PRUNING_LEVELS[kind]) * 100) / 100 };
  const seed = int(r, 0, 2 ** 31 - 1);
  return { family, size, seed, batch: 1, resolution, classes: 1000, activation, pruning, params } as ZooSpec;
}
