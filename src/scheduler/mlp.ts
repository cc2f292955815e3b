// A small fully connected network held as tfjs variables: obs -> hidden -> hidden -> outputs, ReLU
// between. Kept by hand rather than with tf.layers so that weights copy, average (Polyak) and
// serialise as plain arrays, and initialise from our own seeded generator (the same numbers on
// every backend).
import { tf } from "./tf.ts";

export interface DenseWeights { shape: [number, number] | [number]; data: number[] }

export class Mlp {
  readonly vars: tf.Variable[];

  constructor(readonly sizes: readonly number[], rand: () => number, readonly name: string) {
    this.vars = [];
    for (let k = 0; k + 1 < sizes.length; k++) {
      const fanIn = sizes[k]!;
      const fanOut = sizes[k + 1]!;
      // He-uniform for ReLU layers; the output layer starts small so early Q values and logits are near 0.
      const limit = k + 2 === sizes.length ? 0.05 * Math.sqrt(3 / fanIn) : Math.sqrt(6 / fanIn);
      const w = new Float32Array(fanIn * fanOut);
      for (let j = 0; j < w.length; j++) w[j] = (rand() * 2 - 1) * limit;
      this.vars.push(tf.variable(tf.tensor2d(w, [fanIn, fanOut]), true, `${name}/w${k}`));
      this.vars.push(tf.variable(tf.zeros([fanOut]), true, `${name}/b${k}`));
    }
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    const layers = this.vars.length / 2;
    for (let k = 0; k < layers; k++) {
      const z = tf.add(tf.matMul(h, this.vars[2 * k] as tf.Variable<tf.Rank.R2>), this.vars[2 * k + 1]!) as tf.Tensor2D;
      h = k + 1 < layers ? tf.relu(z) : z;
    }
    return h;
  }

  /** this <- tau * other + (1 - tau) * this (tau 1: a copy). */
  blend(other: Mlp, tau: number): void {
    tf.tidy(() => {
      this.vars.forEach((v, k) => v.assign(tau === 1 ? other.vars[k]! : tf.add(tf.mul(other.vars[k]!, tau), tf.mul(v, 1 - tau))));
    });
  }

  toJson(): DenseWeights[] {
    return this.vars.map((v) => ({ shape: v.shape as [number, number] | [number], data: Array.from(v.dataSync(), (x) => Math.fround(x)) }));
  }

  /** Loads weights already checked by validateSchedulerWeights (shapes match `sizes`). */
  load(weights: readonly DenseWeights[]): void {
    weights.forEach((w, k) => this.vars[k]!.assign(tf.tensor(w.data, this.vars[k]!.shape)));
  }

  /** The shapes this network's weights must have, in order. */
  static shapes(sizes: readonly number[]): ([number, number] | [number])[] {
    const out: ([number, number] | [number])[] = [];
    for (let k = 0; k + 1 < sizes.length; k++) out.push([sizes[k]!, sizes[k + 1]!], [sizes[k + 1]!]);
    return out;
  }

  /** The weights as plain arrays, for forward() (read back once, then no tfjs call per action). */
  snapshot(): Float32Array[] {
    return this.vars.map((v) => v.dataSync() as Float32Array);
  }

  /** One observation through `weights` (a snapshot) in plain TypeScript: microseconds, no tensors. */
  static forward(sizes: readonly number[], weights: readonly Float32Array[], x: Float32Array): Float32Array {
    let h = x;
    const layers = sizes.length - 1;
    for (let k = 0; k < layers; k++) {
      const w = weights[2 * k]!;
      const b = weights[2 * k + 1]!;
      const nIn = sizes[k]!;
      const nOut = sizes[k + 1]!;
      const out = Float32Array.from(b);
      for (let i = 0; i < nIn; i++) {
        const xi = h[i]!;
        if (xi === 0) continue;
        const row = i * nOut;
        for (let j = 0; j < nOut; j++) out[j]! += xi * w[row + j]!;
      }
      if (k + 1 < layers) for (let j = 0; j < nOut; j++) if (out[j]! < 0) out[j] = 0;
      h = out;
    }
    return h;
  }

  dispose(): void {
    for (const v of this.vars) v.dispose();
  }
}
