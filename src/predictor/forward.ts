// Inference in plain TypeScript (no tfjs): the same arithmetic as the tfjs training graph
// (src/learn/tf-model.ts), synchronous, so the placement pass can call it, and fast (a few
// hundred thousand multiply-adds). test/predictor/predictor.test.ts checks it against tfjs.
import { binQuantiles, LAYER_NORM_EPSILON, outputWidth, type PredictorConfig } from "./architecture.ts";

export type Params = Map<string, Float32Array>;

/** out[r][n] = sum_k a[r][k] w[k][n] + b[n]; a is rows x k. */
function dense(a: Float64Array, rows: number, k: number, w: Float32Array, b: Float32Array | undefined, n: number): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    if (b) for (let j = 0; j < n; j++) out[o + j] = b[j]!;
    for (let i = 0; i < k; i++) {
      const x = a[r * k + i]!;
      if (x === 0) continue;
      const wi = i * n;
      for (let j = 0; j < n; j++) out[o + j]! += x * w[wi + j]!;
    }
  }
  return out;
}

function layerNorm(x: Float64Array, rows: number, d: number, g: Float32Array, b: Float32Array): Float64Array {
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += x[r * d + j]!;
    mean /= d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[r * d + j]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / d + LAYER_NORM_EPSILON);
    for (let j = 0; j < d; j++) out[r * d + j] = (x[r * d + j]! - mean) * inv * g[j]! + b[j]!;
  }
  return out;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Two quantiles in 0..1 for one input; `context` already normalised. */
export function forward(c: PredictorConfig, p: Params, sequence: Float32Array, context: Float32Array): [number, number] {
  return decode(c, outputLayer(c, p, sequence, context));
}

/** The output layer: bin logits (output "bins") or the two pre-sigmoid quantiles. */
export function outputLayer(c: PredictorConfig, p: Params, sequence: Float32Array, context: Float32Array): Float64Array {
  const get = (name: string) => p.get(name)!;
  const T = c.steps, F = c.nodeFeatures;
  if (c.kind === "mlp") {
    const pooled = new Float64Array(2 * F + c.contextFeatures);
    for (let f = 0; f < F; f++) {
      let sum = 0, max = -Infinity;
      for (let t = 0; t < T; t++) { const v = sequence[t * F + f]!; sum += v; if (v > max) max = v; }
      pooled[f] = sum / T;
      pooled[F + f] = max;
    }
    pooled.set(context, 2 * F);
    const h1 = dense(pooled, 1, pooled.length, get("mlp.w1"), get("mlp.b1"), c.hidden).map((v) => Math.max(0, v));
    const h2 = dense(h1, 1, c.hidden, get("mlp.w2"), get("mlp.b2"), c.hidden).map((v) => Math.max(0, v));
    return dense(h2, 1, c.hidden, get("mlp.w3"), get("mlp.b3"), outputWidth(c));
  }
  const d = c.d, H = c.heads, dh = d / H, U = c.lstm;
  const x = Float64Array.from(sequence);
  const e = dense(x, T, F, get("embed.w"), get("embed.b"), d);
  const pos = get("embed.pos");
  for (let i = 0; i < T * d; i++) e[i]! += pos[i]!;
  const q = dense(e, T, d, get("att.wq"), get("att.bq"), d);
  const k = dense(e, T, d, get("att.wk"), get("att.bk"), d);
  const v = dense(e, T, d, get("att.wv"), get("att.bv"), d);
  const att = new Float64Array(T * d);
  const scale = 1 / Math.sqrt(dh);
  const scores = new Float64Array(T);
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < T; i++) {
      let max = -Infinity;
      for (let j = 0; j < T; j++) {
        let s = 0;
        for (let m = 0; m < dh; m++) s += q[i * d + h * dh + m]! * k[j * d + h * dh + m]!;
        scores[j] = s * scale;
        if (scores[j]! > max) max = scores[j]!;
      }
      let sum = 0;
      for (let j = 0; j < T; j++) { scores[j] = Math.exp(scores[j]! - max); sum += scores[j]!; }
      for (let j = 0; j < T; j++) {
        const w = scores[j]! / sum;
        for (let m = 0; m < dh; m++) att[i * d + h * dh + m]! += w * v[j * d + h * dh + m]!;
      }
    }
  }
  const o = dense(att, T, d, get("att.wo"), get("att.bo"), d);
  for (let i = 0; i < T * d; i++) o[i]! += e[i]!;
  const h1 = layerNorm(o, T, d, get("ln1.g"), get("ln1.b"));
  const f1 = dense(h1, T, d, get("ffn.w1"), get("ffn.b1"), c.ffn).map((z) => Math.max(0, z));
  const f2 = dense(f1, T, c.ffn, get("ffn.w2"), get("ffn.b2"), d);
  for (let i = 0; i < T * d; i++) f2[i]! += h1[i]!;
  const h2 = layerNorm(f2, T, d, get("ln2.g"), get("ln2.b"));
  const xs = dense(h2, T, d, get("lstm.wx"), get("lstm.b"), 4 * U);
  const wh = get("lstm.wh");
  let hs: Float64Array = new Float64Array(U);
  const cs = new Float64Array(U);
  const z = new Float64Array(4 * U);
  for (let t = 0; t < T; t++) {
    z.fill(0);
    for (let i = 0; i < U; i++) {
      const x = hs[i]!;
      const wi = i * 4 * U;
      for (let j = 0; j < 4 * U; j++) z[j]! += x * wh[wi + j]!;
    }
    const next = new Float64Array(U);
    for (let u = 0; u < U; u++) {
      const base = t * 4 * U;
      const ig = sigmoid(xs[base + u]! + z[u]!);
      const fg = sigmoid(xs[base + U + u]! + z[U + u]!);
      const gg = Math.tanh(xs[base + 2 * U + u]! + z[2 * U + u]!);
      const og = sigmoid(xs[base + 3 * U + u]! + z[3 * U + u]!);
      cs[u] = fg * cs[u]! + ig * gg;
      next[u] = og * Math.tanh(cs[u]!);
    }
    hs = next;
  }
  const joined = new Float64Array(U + c.contextFeatures);
  joined.set(hs);
  joined.set(context, U);
  const a = dense(joined, 1, joined.length, get("head.w1"), get("head.b1"), c.hidden).map((z) => Math.max(0, z));
  return dense(a, 1, c.hidden, get("head.w2"), get("head.b2"), outputWidth(c));
}

/** Quantiles from the output layer: the most likely bin (first on ties), or two sigmoids. */
export function decode(c: PredictorConfig, out: Float64Array): [number, number] {
  if (c.output === "quantiles") return [sigmoid(out[0]!), sigmoid(out[1]!)];
  let best = 0;
  for (let k = 1; k < out.length; k++) if (out[k]! > out[best]!) best = k;
  return binQuantiles(c, best);
}
