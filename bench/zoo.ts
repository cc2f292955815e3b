// Zoo generator figures: per family and size class (one seeded spec each, plus vit-large),
// generation time, file size, placeable nodes, and onnxruntime CPU run time (1 intra-op thread,
// median of 5 after a warm-up) as a ratio to the MobileNet-like anchor run in the same process.
// `node --import tsx bench/zoo.ts [--sizes small,medium]`
import * as ort from "onnxruntime-node";
import { modelBytes, type Model } from "../ir/index.ts";
import { seededRandom } from "../ir/random.ts";
import { SIZE_CLASSES, ZOO_FAMILIES, ZOO_PRESETS, generateZooModel, sampleZooSpec, zooModelStats, type SizeClass, type ZooSpec } from "../src/zoo/index.ts";
import { mobileNetLike } from "./support/models.ts";

const sizesArg = process.argv.indexOf("--sizes");
const sizes = (sizesArg > 0 ? process.argv[sizesArg + 1]!.split(",") : SIZE_CLASSES) as SizeClass[];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function runMs(model: Model): Promise<number> {
  const session = await ort.InferenceSession.create(modelBytes(model), { logSeverityLevel: 3, intraOpNumThreads: 1, interOpNumThreads: 1 });
  const dims = (model.graph.inputs[0]!.type as { shape: number[] }).shape.map((d) => (typeof d === "number" ? d : 1));
  const feeds = { [session.inputNames[0]!]: new ort.Tensor("float32", Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => Math.random() * 2 - 1), dims) };
  await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) { const t = performance.now(); await session.run(feeds); times.push(performance.now() - t); }
  await session.release();
  return median(times);
}

const anchor = await runMs(mobileNetLike(0.5, 128));
console.log(`anchor (MobileNet-like a=0.5, 128x128): ${anchor.toFixed(2)} ms\n`);
console.log("| model | size | nodes | placeable | params (M) | MB | generate ms | ort ms | / anchor |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
const cases: [string, ZooSpec][] = [];
for (const size of sizes) for (const [f, family] of ZOO_FAMILIES.entries()) cases.push([family, sampleZooSpec(seededRandom(1000 + f), { family, size })]);
if (sizes.includes("large")) cases.push(["vit-large (preset)", ZOO_PRESETS["vit-large"](0)]);
for (const [name, spec] of cases) {
  const t = performance.now();
  const model = generateZooModel(spec);
  const genMs = performance.now() - t;
  const stats = zooModelStats(model);
  const mb = modelBytes(model).length / 1e6;
  const ms = await runMs(model);
  console.log(`| ${name} | ${spec.size} | ${stats.nodes} | ${stats.placeableNodes} | ${(stats.parameters / 1e6).toFixed(2)} | ${mb.toFixed(1)} | ${genMs.toFixed(0)} | ${ms.toFixed(2)} | ${(ms / anchor).toFixed(2)}x |`);
}
