// The predictor's forward pass as a tfjs graph over a batch, for training (gradients). Same names,
// layouts and arithmetic as the plain-TypeScript inference (src/predictor/forward.ts).
// LayerNorm from tf.moments (tfjs's layer is ~5x slower to train here) and attention from
// reshape/transpose/batched matMul (tfjs has no public attention layer with gradients on wasm).
import * as tf from "@tensorflow/tfjs";
import { LAYER_NORM_EPSILON, type PredictorConfig } from "../predictor/architecture.ts";

export type TfParams = Map<string, tf.Variable>;

function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(LAYER_NORM_EPSILON))).mul(g).add(b);
}

function dense3(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const [B, T, K] = x.shape as [number, number, number];
  return x.reshape([B * T, K]).matMul(w as tf.Tensor2D).add(b).reshape([B, T, w.shape[1]!]);
}

/** x: [B, steps, nodeFeatures], context: [B, contextFeatures] (normalised) -> [B, outputWidth] bin logits, or [B, 2] quantiles. */
export function tfForward(c: PredictorConfig, p: TfParams, x: tf.Tensor3D, context: tf.Tensor2D): tf.Tensor2D {
  const get = (name: string) => p.get(name)!;
  const B = x.shape[0];
  if (c.kind === "mlp") {
    const pooled = tf.concat([x.mean(1), x.max(1), context], 1) as tf.Tensor2D;
    const h1 = tf.relu(pooled.matMul(get("mlp.w1") as tf.Tensor2D).add(get("mlp.b1"))) as tf.Tensor2D;
    const h2 = tf.relu(h1.matMul(get("mlp.w2") as tf.Tensor2D).add(get("mlp.b2"))) as tf.Tensor2D;
    return outputs(c, h2.matMul(get("mlp.w3") as tf.Tensor2D).add(get("mlp.b3")) as tf.Tensor2D);
  }
  const T = c.steps, d = c.d, H = c.heads, dh = d / H, U = c.lstm;
  const e = dense3(x, get("embed.w"), get("embed.b")).add(get("embed.pos"));
  const heads = (t: tf.Tensor) => t.reshape([B, T, H, dh]).transpose([0, 2, 1, 3]);
  const q = heads(dense3(e, get("att.wq"), get("att.bq")));
  const k = heads(dense3(e, get("att.wk"), get("att.bk")));
  const v = heads(dense3(e, get("att.wv"), get("att.bv")));
  const scores = tf.softmax(tf.matMul(q, k, false, true).mul(1 / Math.sqrt(dh)));
  const att = tf.matMul(scores, v).transpose([0, 2, 1, 3]).reshape([B, T, d]);
  const h1 = layerNorm(dense3(att, get("att.wo"), get("att.bo")).add(e), get("ln1.g"), get("ln1.b"));
  const f = dense3(tf.relu(dense3(h1, get("ffn.w1"), get("ffn.b1"))), get("ffn.w2"), get("ffn.b2"));
  const h2 = layerNorm(f.add(h1), get("ln2.g"), get("ln2.b"));
  const xs = tf.unstack(dense3(h2, get("lstm.wx"), get("lstm.b")), 1) as tf.Tensor2D[];
  const wh = get("lstm.wh") as tf.Tensor2D;
  let h: tf.Tensor2D = tf.zeros([B, U]);
  let cell: tf.Tensor2D = tf.zeros([B, U]);
  for (let t = 0; t < T; t++) {
    const z = xs[t]!.add(h.matMul(wh));
    const [zi, zf, zg, zo] = tf.split(z, 4, 1);
    cell = tf.sigmoid(zf!).mul(cell).add(tf.sigmoid(zi!).mul(tf.tanh(zg!))) as tf.Tensor2D;
    h = tf.sigmoid(zo!).mul(tf.tanh(cell)) as tf.Tensor2D;
  }
  const joined = tf.concat([h, context], 1) as tf.Tensor2D;
  const a = tf.relu(joined.matMul(get("head.w1") as tf.Tensor2D).add(get("head.b1"))) as tf.Tensor2D;
  return outputs(c, a.matMul(get("head.w2") as tf.Tensor2D).add(get("head.b2")) as tf.Tensor2D);
}

const outputs = (c: PredictorConfig, z: tf.Tensor2D): tf.Tensor2D => (c.output === "quantiles" ? tf.sigmoid(z) : z);

let ready: Promise<void> | undefined;

/** The wasm backend (single-threaded in Node, SIMD), once per thread. */
export function tfReady(): Promise<void> {
  ready ??= (async () => {
    await import("@tensorflow/tfjs-backend-wasm");
    await tf.setBackend("wasm");
    await tf.ready();
  })();
  return ready;
}
