// The SAC scheduler as the planner's refinement stage (src/planner/refiner.ts). Within the same
// budget of simulations the local search gets:
//   1. policy sweep: from the cheapest start, the pretrained policy visits every free node in
//      topological order and proposes CPU or GPU; a proposal costs one simulation and is kept
//      only when it lowers the plan cost (a proposal to stay costs nothing);
//   2. fine-tune (optional): SAC episodes on this very model (stochastic actions, updates from a
//      replay of them) with a share of the budget, then a second sweep from the best plan seen;
//   3. polish (optional): the planner's default refinement (oracle.ts: local search, branch and
//      bound up to 25 free nodes) from the SAC plan and every start with what is left.
// Every phase counts simulations, never wall time (unless a wall-time cap is given), so the
// same weights, seed and budget give the same plan. The planner's guarantee then takes the best
// of this, the threshold plan and every baseline.
import type { HardwareState } from "../devices/hardware-state.ts";
import { defaultSearchEvaluations } from "../planner/local-search.ts";
import { oracle } from "../planner/oracle.ts";
import type { RefineRequest, RefineResult, Refiner } from "../planner/refiner.ts";
import { PlacementEnv } from "./environment.ts";
import { NodeFigures, OBSERVATION_SIZE, stateFeatures } from "./observation.ts";
import { SacAgent } from "./sac.ts";
import { backendReady } from "./tf.ts";
import type { SchedulerWeights } from "./weights.ts";

export interface SacRefinerOptions {
  weights: SchedulerWeights;
  /** The state the profile was adjusted for (part of the observation). */
  state?: HardwareState;
  /** Share of the budget for on-model SAC fine-tuning (0: policy only). Default 0.3. */
  fineTuneShare?: number;
  /** Most gradient updates during the fine-tune. Default 8 (about 9 ms each on a quiet core, 100-400 ms on this loaded one). */
  fineTuneUpdates?: number;
  /** Spend what is left on the local search from the SAC plan. Default true. */
  polish?: boolean;
  /** Start from the CPU-only plan instead of the cheapest start ("SAC alone" in the ablation). */
  fromCpuOnly?: boolean;
}

/** Nodes one fine-tune episode visits at most (a topological run of the free nodes). */
const EPISODE_NODES = 64;

export interface SacRefineDetail {
  sweepMs: number;
  fineTuneMs: number;
  polishMs: number;
  sweepEvaluations: number;
  fineTuneEvaluations: number;
  fineTuneUpdates: number;
  polishEvaluations: number;
  /** searchCost after the sweep, after the fine-tune, after the polish. */
  costs: number[];
  /** The plan before the polish (the SAC stages' own result). */
  sacAssign?: Int32Array;
}

/** The last refinement's phases (for benchmarks and the report). */
export let lastSacDetail: SacRefineDetail | undefined;

export function sacRefiner(options: SacRefinerOptions): Refiner {
  return (request) => sacRefine(request, options);
}

export function sacRefine(request: RefineRequest, options: SacRefinerOptions): RefineResult {
  const { problem, space, starts, startNames, thresholdPlan } = request;
  const search = request.search ?? {};
  const budget = search.maxEvaluations ?? defaultSearchEvaluations(space.nodes);
  if (problem.gpu < 0 || space.processors !== 2 || space.free.length === 0) {
    return oracle(problem.sim, space, [...starts], { search, timeLimitMs: search.timeLimitMs });
  }
  if (!backendReady()) throw new Error("the SAC scheduler needs its tfjs backend: await schedulerBackend() before planning");
  const deadline = search.timeLimitMs !== undefined ? Date.now() + search.timeLimitMs : Infinity;
  const seed = search.seed ?? 1;
  const agent = new SacAgent(options.weights.config, seed);
  try {
    agent.load(options.weights.nets);
    let evaluations = 0;
    const startCosts = starts.map((s) => { evaluations++; return space.cost(s); });
    let from = 0;
    if (options.fromCpuOnly) {
      const k = startNames.indexOf("cpu-only");
      from = k >= 0 ? k : 0;
    } else for (let k = 1; k < starts.length; k++) if (startCosts[k]! < startCosts[from]! - 1e-12) from = k;
    const env = new PlacementEnv(problem, space.free, thresholdPlan.quadrant, stateFeatures(options.state), starts[from]!, startCosts[from]!, new NodeFigures(problem));
    const spent = () => evaluations + env.evaluations;
    const out = () => spent() >= budget || (deadline !== Infinity && Date.now() > deadline);
    const obs = new Float32Array(OBSERVATION_SIZE);
    const detail: SacRefineDetail = { sweepMs: 0, fineTuneMs: 0, polishMs: 0, sweepEvaluations: 0, fineTuneEvaluations: 0, fineTuneUpdates: 0, polishEvaluations: 0, costs: [] };

    /** Greedy policy sweep from the env's current plan, keeping only proposals that help. */
    const sweep = (limit: number) => {
      for (let k = 0; k < space.free.length && spent() < limit && !out(); k++) {
        const action = agent.act(env.observe(k, obs), false);
        const before = env.cost;
        const was = env.assign[space.free[k]!]!;
        env.step(k, action);
        if (env.cost > before - 1e-12 && env.assign[space.free[k]!] !== was) env.undo(k, was, before);
      }
    };

    let t = performance.now();
    let mark = spent();
    sweep(budget);
    detail.sweepEvaluations = spent() - mark;
    detail.sweepMs = performance.now() - t;
    detail.costs.push(env.best.cost);

    const fineShare = options.fineTuneShare ?? 0.3;
    if (fineShare > 0 && !out()) {
      t = performance.now();
      mark = spent();
      const limit = Math.min(budget, spent() + Math.floor(budget * fineShare));
      const maxUpdates = options.fineTuneUpdates ?? 8;
      const next = new Float32Array(OBSERVATION_SIZE);
      // A step that leaves its node in place costs no simulation, so steps are capped too (one
      // per simulation of the share): a policy that proposes nothing cannot spin here.
      const maxSteps = Math.floor(budget * fineShare);
      let steps = 0;
      while (spent() < limit && steps < maxSteps && !out()) {
        env.reset(env.best.assign, env.best.cost);
        const n = space.free.length;
        const length = Math.min(EPISODE_NODES, n);
        const first = Math.floor(agent.rand() * (n - length + 1));
        for (let k = first; k < first + length && spent() < limit && steps < maxSteps; k++) {
          const o = Float32Array.from(env.observe(k, obs));
          const action = agent.act(o, true);
          const reward = env.step(k, action);
          const done = k + 1 === first + length;
          agent.remember(o, action, reward, done ? o : env.observe(k + 1, next), done);
          if (++steps % 2 === 0 && detail.fineTuneUpdates < maxUpdates && agent.update()) detail.fineTuneUpdates++;
        }
      }
      env.reset(env.best.assign, env.best.cost);
      sweep(budget);
      detail.fineTuneEvaluations = spent() - mark;
      detail.fineTuneMs = performance.now() - t;
    }
    detail.costs.push(env.best.cost);
    detail.sacAssign = Int32Array.from(env.best.assign);

    let result: RefineResult = { assign: env.best.assign, cost: env.best.cost, evaluations: spent(), budgetHit: spent() >= budget, bestStart: from, by: `SAC policy from ${startNames[from]}${detail.fineTuneUpdates ? ` + ${detail.fineTuneUpdates}-update fine-tune` : ""}` };
    if (options.polish !== false && !out()) {
      t = performance.now();
      const rest = budget - spent();
      const timeLimitMs = deadline === Infinity ? undefined : Math.max(1, deadline - Date.now());
      const polished = oracle(problem.sim, space, [env.best.assign, ...starts], { search: { ...search, maxEvaluations: rest, timeLimitMs }, timeLimitMs });
      detail.polishEvaluations = polished.evaluations;
      detail.polishMs = performance.now() - t;
      if (polished.cost < result.cost - 1e-12) {
        const fromSac = polished.bestStart === 0;
        result = { ...result, assign: polished.assign, cost: polished.cost, by: fromSac ? `${result.by}, then local search` : `local search from ${startNames[polished.bestStart - 1]} (after the SAC policy)` };
      }
      result = { ...result, evaluations: result.evaluations + polished.evaluations, budgetHit: polished.budgetHit, exact: polished.exact && polished.cost <= result.cost + 1e-12 };
    }
    detail.costs.push(result.cost);
    lastSacDetail = detail;
    return result;
  } finally {
    agent.dispose();
  }
}
