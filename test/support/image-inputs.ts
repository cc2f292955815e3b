// Seeded image-like inputs for equality tests. White noise is a poor probe for image models:
// after global average pooling every noise image has the same statistics, so a classifier's
// output hardly moves between two noise inputs (DenseNet-121: 5e-6, below the comparison's
// atol), and a text detector sees no text (PP-OCRv4 det outputs ~0 everywhere). These images
// have a seeded tint, smooth gradients and dark stroke blocks ("text") on a light page, in the
// range of ImageNet-normalized pixels (about -2 to 2).
import type * as ort from "onnxruntime-node";
import { DataType } from "../../ir/dtype.ts";
import { seededRandom } from "../../ir/random.ts";
import { Tensor } from "../../ir/tensor.ts";
import { toOrtTensor } from "../../ort/tensor-bridge.ts";

/** An NCHW float32 image batch (any N and C, H and W at least 8). */
export function imageTensor(name: string, dims: readonly number[], seed: number): Tensor {
  const [n, c, h, w] = dims as [number, number, number, number];
  if (dims.length !== 4 || h < 8 || w < 8) throw new Error(`imageTensor '${name}': expects NCHW with H, W >= 8, got [${dims.join(", ")}]`);
  const rand = seededRandom(seed);
  const data = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) {
    const tint = Array.from({ length: c }, () => rand() - 0.5);
    const waves = Array.from({ length: 3 }, () => ({ fy: 1 + rand() * 4, fx: 1 + rand() * 4, phase: rand() * 2 * Math.PI, amp: 0.2 + 0.3 * rand() }));
    const blocks = Array.from({ length: 4 + Math.floor(rand() * 6) }, () => {
      const bh = Math.max(2, Math.floor(h * (0.05 + 0.15 * rand())));
      const bw = Math.max(4, Math.floor(w * (0.1 + 0.4 * rand())));
      return { y: Math.floor(rand() * (h - bh)), x: Math.floor(rand() * (w - bw)), bh, bw, pitch: 2 + Math.floor(rand() * 4) };
    });
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const ink = blocks.some((k) => y >= k.y && y < k.y + k.bh && x >= k.x && x < k.x + k.bw && (x - k.x) % k.pitch < k.pitch / 2);
        const shade = waves.reduce((s, v) => s + v.amp * Math.sin((2 * Math.PI * (v.fy * y)) / h + (2 * Math.PI * (v.fx * x)) / w + v.phase), 0);
        for (let ch = 0; ch < c; ch++) data[((b * c + ch) * h + y) * w + x] = (ink ? -1.6 : 1.6) + tint[ch]! + shade + (rand() - 0.5) * 0.2;
      }
    }
  }
  return Tensor.fromArray(name, DataType.FLOAT, dims, data);
}

/** The same as an onnxruntime tensor. */
export function imageOrtTensor(dims: readonly number[], seed: number): ort.Tensor {
  return toOrtTensor(imageTensor("image", dims, seed));
}
