import * as ort from "onnxruntime-node";
import { generateFeeds } from "./src/runtime/generate-inputs.ts";
const path = process.argv[2]!;
const s = await ort.InferenceSession.create(path, { logSeverityLevel: 3 });
for (const seed of [1, 2]) {
  const feeds = generateFeeds([{ name: s.inputNames[0]!, dtype: "f32", shape: path.includes("det") ? [1, 3, 64, 96] : [1, 3, 224, 224] }], seed);
  const out = await s.run(feeds);
  for (const [k, t] of Object.entries(out)) { const d = t.data as Float32Array; let mn = Infinity, mx = -Infinity; for (const v of d) { mn = Math.min(mn, v); mx = Math.max(mx, v); } console.log(seed, k, t.dims, mn, mx, d.slice(0, 4)); }
}
