import * as ort from "onnxruntime-node";
import { generateFeeds } from "./src/runtime/generate-inputs.ts";
import { materializeNormalized } from "./test/support/materialize.ts";
import { lightModels } from "./test/support/corpus.ts";
import { compareTensors, fromOrtTensor } from "./src/runtime/ort-tensor.ts";
for (const lp of lightModels().filter((p) => !process.argv[2] || p.includes(process.argv[2]))) {
  const t0 = Date.now();
  const path = await materializeNormalized(lp);
  const t1 = Date.now();
  const s = await ort.InferenceSession.create(path, { logSeverityLevel: 3 });
  const outs = [];
  for (const seed of [1, 2]) outs.push(await s.run(generateFeeds([{ name: s.inputNames[0]!, dtype: "f32", shape: [1, 3, 224, 224] }], seed)));
  for (const k of Object.keys(outs[0]!)) { const a = outs[0]![k]!.data as Float32Array; let mn = Infinity, mx = -Infinity; for (const v of a) { mn = Math.min(mn, v); mx = Math.max(mx, v); }
    const c = compareTensors(fromOrtTensor(k, outs[0]![k]!), fromOrtTensor(k, outs[1]![k]!), 1e-4, 1e-5);
    console.log(lp.split("/").pop(), k, mn, mx, "maxAbs diff", c.maxAbs, "same?", c.ok, "materialize ms", t1 - t0); }
  await s.release();
}
