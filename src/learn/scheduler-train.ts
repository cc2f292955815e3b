// Pretraining the scheduler across graphs: episodes on zoo models (train split) under perturbed
// device profiles and hardware states, one SAC-Discrete agent learning from all of them (as
// Placeto and GDP learn across graphs). Problems are drawn into a small pool as training goes
// (compiling a problem and searching its thresholds costs more than an episode), episodes start
// from the threshold plan, a randomly disturbed copy of it or a one-processor plan, and the agent updates every
// UPDATE_EVERY environment steps once the replay holds a batch. Everything is seeded.
import { seededRandom } from "../../ir/random.ts";
import { Role, type PlacementProblem } from "../planner/problem.ts";
import { drawProblem, TRAINING_PROFILES, type CorpusModel, type TrainingProblem } from "./scheduler-corpus.ts";
import { PlacementEnv } from "../scheduler/environment.ts";
import { ACTIONS, NodeFigures, OBSERVATION_FEATURES, OBSERVATION_SIZE, stateFeatures } from "../scheduler/observation.ts";
import { DEFAULT_SAC, SacAgent } from "../scheduler/sac.ts";
import { SCHEDULER_SCHEMA, type SchedulerWeights } from "../scheduler/weights.ts";

export interface TrainOptions {
  seed: number;
  /** Environment steps (one node visited each). */
  steps: number;
  hidden?: number;
  /** Problems in the pool (default 24). */
  pool?: number;
  /** Nodes per episode at most (default 64). */
  episodeNodes?: number;
  onProgress?: (p: TrainProgress) => void;
}

export interface TrainProgress { step: number; steps: number; updates: number; episodes: number; qLoss: number; alpha: number; problem: string }

export interface TrainResult { weights: SchedulerWeights; qLosses: number[] }

const UPDATE_EVERY = 2;

/** Nodes a refinement may move: what the planner hands its refiner (free or control flow, not host-only). */
export function movableNodes(problem: PlacementProblem): number[] {
  const out: number[] = [];
  for (let i = 0; i < problem.sim.nodes.length; i++) if ((problem.role[i] === Role.Free || problem.role[i] === Role.Control) && !problem.sim.hostOnly[i]) out.push(i);
  return out;
}

interface PoolEntry extends TrainingProblem { free: number[]; figures: NodeFigures }

export function trainScheduler(corpus: readonly CorpusModel[], options: TrainOptions): TrainResult {
  if (corpus.length === 0) throw new Error("training needs at least one model");
  const started = Date.now();
  const rand = seededRandom((options.seed ^ 0x5eed) >>> 0 || 1);
  const config = { ...DEFAULT_SAC, hidden: options.hidden ?? DEFAULT_SAC.hidden, observation: OBSERVATION_SIZE, actions: ACTIONS.length };
  const agent = new SacAgent(config, options.seed);
  const poolSize = Math.max(1, options.pool ?? 24);
  const episodeNodes = options.episodeNodes ?? 64;
  const pool: PoolEntry[] = [];
  const grow = () => {
    // Problems without a GPU or free nodes teach nothing: draw again (bounded).
    for (let tries = 0; tries < 8; tries++) {
      const p = drawProblem(corpus, rand);
      const free = movableNodes(p.problem);
      if (p.problem.gpu >= 0 && free.length > 0) { pool.push({ ...p, free, figures: new NodeFigures(p.problem) }); return; }
    }
  };
  grow();
  const qLosses: number[] = [];
  let step = 0;
  let episodes = 0;
  let alpha = agent.alpha;
  const obs = new Float32Array(OBSERVATION_SIZE);
  const next = new Float32Array(OBSERVATION_SIZE);
  while (step < options.steps) {
    if (pool.length < poolSize && step >= (pool.length * options.steps) / poolSize) grow();
    const p = pool[Math.floor(rand() * pool.length)]!;
    // Starts: the threshold plan (40%), a copy with 10-30% of its free nodes flipped (30%), or
    // everything on one processor (15% each), so the policy learns repairs as well as when to stay.
    const u = rand();
    const start = Int32Array.from(p.start);
    if (u >= 0.4 && u < 0.7) { const share = 0.1 + rand() * 0.2; for (const i of p.free) if (rand() < share) start[i] = start[i] === p.problem.cpu ? p.problem.gpu : p.problem.cpu; }
    else if (u >= 0.7) { const to = u < 0.85 ? p.problem.cpu : p.problem.gpu; for (const i of p.free) start[i] = to; }
    const env = new PlacementEnv(p.problem, p.free, p.quadrant, stateFeatures(p.state), start, p.problem.cost.searchCost(start), p.figures);
    const n = p.free.length;
    const length = Math.min(episodeNodes, n, options.steps - step);
    const first = Math.floor(rand() * (n - length + 1));
    for (let k = first; k < first + length; k++) {
      const o = Float32Array.from(env.observe(k, obs));
      const action = agent.act(o, true);
      const reward = env.step(k, action);
      const done = k + 1 === first + length;
      agent.remember(o, action, reward, done ? o : env.observe(k + 1, next), done);
      step++;
      if (step % UPDATE_EVERY === 0) {
        const s = agent.update();
        if (s) { qLosses.push(s.qLoss); alpha = s.alpha; }
      }
    }
    episodes++;
    options.onProgress?.({ step, steps: options.steps, updates: agent.updates, episodes, qLoss: qLosses.length ? mean(qLosses.slice(-50)) : NaN, alpha, problem: p.label });
  }
  const tenth = Math.max(1, Math.floor(qLosses.length / 10));
  const weights: SchedulerWeights = {
    schema: SCHEDULER_SCHEMA,
    observation: [...OBSERVATION_FEATURES],
    actions: [...ACTIONS],
    config,
    training: {
      seed: options.seed, steps: options.steps, updates: agent.updates,
      models: corpus.map((m) => m.name), profiles: [...TRAINING_PROFILES],
      date: new Date().toISOString(), seconds: (Date.now() - started) / 1000,
      qLossFirst: mean(qLosses.slice(0, tenth)), qLossLast: mean(qLosses.slice(-tenth)),
    },
    nets: agent.weights(),
  };
  agent.dispose();
  return { weights, qLosses };
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}
