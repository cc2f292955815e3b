// Soft Actor-Critic for discrete actions (SAC-Discrete, Christodoulou 2019): a softmax actor, twin
// Q networks that output one value per action, target copies of both updated by Polyak
// averaging, and an entropy temperature alpha tuned automatically towards a target entropy.
// Because the action set is small, every expectation over actions is computed exactly (no
// reparameterisation). All randomness (initial weights, replay sampling, exploration) comes from
// one seeded generator, and the wasm backend runs single-threaded: same seed, same agent.
import { seededRandom } from "../../ir/random.ts";
import { Mlp, type DenseWeights } from "./mlp.ts";
import { tf } from "./tf.ts";

export interface SacConfig {
  observation: number;
  actions: number;
  hidden: number;
  /** Discount of future rewards (one step = one node). */
  gamma: number;
  /** Polyak factor of the target networks. */
  tau: number;
  learningRate: number;
  batch: number;
  /** Target entropy as a fraction of the uniform policy's, log(actions). */
  targetEntropyRatio: number;
  replayCapacity: number;
}

export const DEFAULT_SAC: Omit<SacConfig, "observation" | "actions"> = {
  hidden: 64, gamma: 0.8, tau: 0.02, learningRate: 1e-3, batch: 64, targetEntropyRatio: 0.3, replayCapacity: 50_000,
};

export interface SacWeights { actor: DenseWeights[]; q1: DenseWeights[]; q2: DenseWeights[]; logAlpha: number }

export interface UpdateStats { qLoss: number; actorLoss: number; alpha: number; entropy: number }

/** A ring buffer of transitions (s, a, r, s', done) in flat typed arrays. */
class Replay {
  readonly obs: Float32Array;
  readonly next: Float32Array;
  readonly action: Int32Array;
  readonly reward: Float32Array;
  readonly done: Float32Array;
  size = 0;
  private at = 0;

  constructor(readonly capacity: number, readonly dim: number) {
    this.obs = new Float32Array(capacity * dim);
    this.next = new Float32Array(capacity * dim);
    this.action = new Int32Array(capacity);
    this.reward = new Float32Array(capacity);
    this.done = new Float32Array(capacity);
  }

  push(obs: Float32Array, action: number, reward: number, next: Float32Array, done: boolean): void {
    this.obs.set(obs, this.at * this.dim);
    this.next.set(next, this.at * this.dim);
    this.action[this.at] = action;
    this.reward[this.at] = reward;
    this.done[this.at] = done ? 1 : 0;
    this.at = (this.at + 1) % this.capacity;
    this.size = Math.min(this.capacity, this.size + 1);
  }
}

export class SacAgent {
  readonly actor: Mlp;
  readonly q1: Mlp;
  readonly q2: Mlp;
  private readonly t1: Mlp;
  private readonly t2: Mlp;
  private readonly logAlpha: tf.Variable;
  private readonly actorOpt: tf.Optimizer;
  private readonly criticOpt: tf.Optimizer;
  private readonly alphaOpt: tf.Optimizer;
  private readonly replay: Replay;
  readonly rand: () => number;
  updates = 0;

  constructor(readonly config: SacConfig, seed: number) {
    this.rand = seededRandom(seed >>> 0 || 1);
    const { observation: o, actions: a, hidden: h } = config;
    this.actor = new Mlp([o, h, h, a], this.rand, "actor");
    this.q1 = new Mlp([o, h, h, a], this.rand, "q1");
    this.q2 = new Mlp([o, h, h, a], this.rand, "q2");
    this.t1 = new Mlp([o, h, h, a], this.rand, "t1");
    this.t2 = new Mlp([o, h, h, a], this.rand, "t2");
    this.t1.blend(this.q1, 1);
    this.t2.blend(this.q2, 1);
    this.logAlpha = tf.variable(tf.scalar(Math.log(0.1)), true, "logAlpha");
    this.actorOpt = tf.train.adam(config.learningRate);
    this.criticOpt = tf.train.adam(config.learningRate);
    this.alphaOpt = tf.train.adam(config.learningRate);
    this.replay = new Replay(config.replayCapacity, o);
  }

  get transitions(): number { return this.replay.size; }

  get alpha(): number { return Math.exp(this.logAlpha.dataSync()[0]!); }

  /** The actor's weights read back for plain-TypeScript actions; dropped after every update. */
  private actorSnapshot: Float32Array[] | undefined;

  /** Action probabilities for one observation (the actor in plain TypeScript: no tensor per action). */
  probabilities(obs: Float32Array): Float32Array {
    this.actorSnapshot ??= this.actor.snapshot();
    const logits = Mlp.forward(this.actor.sizes, this.actorSnapshot, obs);
    let max = -Infinity;
    for (const z of logits) max = Math.max(max, z);
    let sum = 0;
    for (let k = 0; k < logits.length; k++) sum += logits[k] = Math.exp(logits[k]! - max);
    for (let k = 0; k < logits.length; k++) logits[k]! /= sum;
    return logits;
  }

  /** The most probable action (greedy), or one sampled from the policy. */
  act(obs: Float32Array, sample: boolean): number {
    const p = this.probabilities(obs);
    if (!sample) { let best = 0; for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k; return best; }
    let u = this.rand();
    for (let k = 0; k < p.length; k++) { u -= p[k]!; if (u <= 0) return k; }
    return p.length - 1;
  }

  remember(obs: Float32Array, action: number, reward: number, next: Float32Array, done: boolean): void {
    this.replay.push(obs, action, reward, next, done);
  }

  /** One gradient step of the critics, the actor and the temperature on a sampled batch. */
  update(): UpdateStats | undefined {
    const { batch: B, observation: o, actions: A, gamma } = this.config;
    const r = this.replay;
    if (r.size < B) return undefined;
    const obs = new Float32Array(B * o);
    const next = new Float32Array(B * o);
    const action = new Int32Array(B);
    const reward = new Float32Array(B);
    const done = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      const k = Math.floor(this.rand() * r.size);
      obs.set(r.obs.subarray(k * o, (k + 1) * o), b * o);
      next.set(r.next.subarray(k * o, (k + 1) * o), b * o);
      action[b] = r.action[k]!;
      reward[b] = r.reward[k]!;
      done[b] = r.done[k]!;
    }
    const targetEntropy = this.config.targetEntropyRatio * Math.log(A);
    const stats = tf.tidy(() => {
      const s = tf.tensor2d(obs, [B, o]);
      const s2 = tf.tensor2d(next, [B, o]);
      const onehot = tf.oneHot(tf.tensor1d(action, "int32"), A);
      const alpha = tf.exp(this.logAlpha);
      // Soft state value of s' under the current policy and the target critics, exactly over actions.
      const logits2 = this.actor.apply(s2);
      const p2 = tf.softmax(logits2);
      const logp2 = tf.logSoftmax(logits2);
      const qT = tf.minimum(this.t1.apply(s2), this.t2.apply(s2));
      const v2 = tf.sum(tf.mul(p2, tf.sub(qT, tf.mul(alpha, logp2))), 1);
      const y = tf.add(tf.tensor1d(reward), tf.mul(tf.mul(tf.sub(1, tf.tensor1d(done)), gamma), v2));
      // y is computed outside the critics' tape, so no gradient flows into the target (tfjs has no stopGradient).
      const yc = y;
      const criticVars = [...this.q1.vars, ...this.q2.vars];
      const qLoss = this.criticOpt.minimize(() => {
        const q1a = tf.sum(tf.mul(this.q1.apply(s), onehot), 1);
        const q2a = tf.sum(tf.mul(this.q2.apply(s), onehot), 1);
        return tf.add(tf.mean(tf.square(tf.sub(q1a, yc))), tf.mean(tf.square(tf.sub(q2a, yc)))).mul(0.5) as tf.Scalar;
      }, true, criticVars)!;
      const qMin = tf.minimum(this.q1.apply(s), this.q2.apply(s));
      let entropy: tf.Tensor | undefined;
      const actorLoss = this.actorOpt.minimize(() => {
        const logits = this.actor.apply(s);
        const p = tf.softmax(logits);
        const logp = tf.logSoftmax(logits);
        entropy = tf.keep(tf.neg(tf.mean(tf.sum(tf.mul(p, logp), 1))));
        return tf.mean(tf.sum(tf.mul(p, tf.sub(tf.mul(alpha, logp), qMin)), 1)) as tf.Scalar;
      }, true, this.actor.vars)!;
      const h = entropy!.dataSync()[0]!;
      entropy!.dispose();
      // Temperature: raise alpha when the policy's entropy is below the target, lower it above.
      this.alphaOpt.minimize(() => tf.mul(this.logAlpha, h - targetEntropy) as tf.Scalar, false, [this.logAlpha]);
      return { qLoss: qLoss.dataSync()[0]!, actorLoss: actorLoss.dataSync()[0]!, entropy: h };
    });
    this.actorSnapshot = undefined;
    this.t1.blend(this.q1, this.config.tau);
    this.t2.blend(this.q2, this.config.tau);
    this.updates++;
    return { ...stats, alpha: this.alpha };
  }

  weights(): SacWeights {
    return { actor: this.actor.toJson(), q1: this.q1.toJson(), q2: this.q2.toJson(), logAlpha: this.logAlpha.dataSync()[0]! };
  }

  /** Loads checked weights; the targets start equal to the critics. */
  load(w: SacWeights): void {
    this.actorSnapshot = undefined;
    this.actor.load(w.actor);
    this.q1.load(w.q1);
    this.q2.load(w.q2);
    this.t1.blend(this.q1, 1);
    this.t2.blend(this.q2, 1);
    this.logAlpha.assign(tf.scalar(w.logAlpha));
  }

  dispose(): void {
    for (const m of [this.actor, this.q1, this.q2, this.t1, this.t2]) m.dispose();
    this.logAlpha.dispose();
    this.actorOpt.dispose();
    this.criticOpt.dispose();
    this.alphaOpt.dispose();
  }
}
