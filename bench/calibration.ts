// The activation-sparsity pass (calibration on onnxruntime) against its anchor, in the same
// process and run: creating a plain onnxruntime session for the model (default options) and
// running the same samples through it. Issue 15's target: the pass costs at most 2x the anchor.
// Models: a ViT-S/16-shaped transformer (fixtures/vit.ts, 12 layers, dim 384) and the
// full-weight ResNet-50 (bench/support/materialize.ts; needs ../shared, else skipped).
//
//   node --import tsx bench/calibration.ts [--runs 3] [--samples 8] [--models vit-s,resnet50]
import * as ort from "onnxruntime-node";
import { cpus, loadavg, totalmem } from "node:os";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadModel, modelBytes, type Model } from "../ir/index.ts";
import { registerBuiltinPasses } from "../passes/builtin-passes.ts";
import { PassManager } from "../passes/manager.ts";
import { instantiate, passEntry } from "../passes/pipeline.ts";
import { activationSparsityPass } from "../passes/activation-sparsity.ts";
import { calibrationSamples } from "../passes/support/calibrate.ts";
import { bindLeadingBatch } from "../passes/shapes/input-shapes.ts";
import { toOrtTensor } from "../ort/tensor-bridge.ts";
import { BACKEND_TESTS } from "../test/support/corpus.ts";
import { materialize } from "./support/materialize.ts";
import { torchvisionVit } from "../fixtures/vit.ts";

registerBuiltinPasses();

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const runs = Number(flag("runs", "3"));
const samples = Number(flag("samples", "8"));
const wanted = flag("models", "vit-s,resnet50").split(",");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const models: Record<string, () => Model | undefined> = {
  "vit-s": () => torchvisionVit({ layers: 12, dim: 384, heads: 6 }),
  "vit-ti": () => torchvisionVit({ layers: 12, dim: 192, heads: 3 }),
  resnet50: () => {
    const light = join(BACKEND_TESTS, "light", "light_resnet50.onnx");
    return existsSync(light) ? loadModel(materialize(light)) : undefined;
  },
};

/** Session creation + plain inference of the calibration samples: what calibration should cost. */
interface Cost { wall: number; cpu: number }
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

async function anchorMs(model: Model): Promise<Cost> {
  const { specs, count, sample } = calibrationSamples(model, { samples, seed: 0 });
  const feeds = Array.from({ length: count }, (_, k) => Object.fromEntries(specs.map((s) => [s.name, toOrtTensor(sample(k).get(s.name)!)])));
  const bytes = modelBytes(model);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  for (const f of feeds) await session.run(f);
  const cost = { wall: performance.now() - t0, cpu: cpuMs(process.cpuUsage(c0)) };
  await session.release();
  return cost;
}

async function passMs(model: Model): Promise<Cost> {
  const pm = new PassManager(instantiate([passEntry(activationSparsityPass, { samples, seed: 0 })]));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await pm.run(model);
  return { wall: performance.now() - t0, cpu: cpuMs(process.cpuUsage(c0)) };
}

console.log(`calibration bench: ${cpus().length} cores (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(" ")}; ${runs} run(s), ${samples} samples`);
// Wall time is what the issue asks for; CPU time (this process, onnxruntime's threads included)
// is printed beside it because on a loaded machine each of the pass's extra small kernels waits
// to be scheduled, which inflates wall time far more than the work done.
console.log("model       anchor ms   pass ms   pass/anchor (wall)   anchor cpu ms   pass cpu ms   pass/anchor (cpu)");
for (const name of wanted) {
  const model = models[name]?.();
  if (!model) { console.log(`${name.padEnd(10)}  skipped (needs ../shared/onnx-backend-tests)`); continue; }
  bindLeadingBatch(model, []);
  // The pass's prerequisites (shape inference, weight sparsity) run once, outside the timing.
  await new PassManager(instantiate([{ name: "shape-inference", options: {} }, { name: "weight-sparsity", options: {} }])).run(model);
  const anchors: Cost[] = [];
  const passes: Cost[] = [];
  for (let r = 0; r < runs; r++) {
    anchors.push(await anchorMs(model));
    passes.push(await passMs(model));
  }
  const m = (xs: Cost[], k: keyof Cost) => median(xs.map((x) => x[k]));
  const ratio = (k: keyof Cost) => median(passes.map((p, i) => p[k] / anchors[i]![k]));
  console.log(`${name.padEnd(10)}  ${m(anchors, "wall").toFixed(0).padStart(9)}  ${m(passes, "wall").toFixed(0).padStart(8)}  ${ratio("wall").toFixed(2).padStart(18)}x  ${m(anchors, "cpu").toFixed(0).padStart(14)}  ${m(passes, "cpu").toFixed(0).padStart(12)}  ${ratio("cpu").toFixed(2).padStart(17)}x`);
}
