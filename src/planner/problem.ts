// The compiled, typed placement problem, built once per model and device profile from the
// analyses' annotations: the simulator's compiled graph (every node's predicted time on every
// processor, the values between nodes and their sizes, the link costs), each node's sparsity
// and intensity, its role (pinned, shape computation, control flow, constant, or free to
// place), and the plan cost every candidate is judged by. The threshold search, the baselines
// and the refinement all work on this one structure.
import type { Model } from "../../ir/model.ts";
import { processorsOfKind, type DeviceProfile } from "../devices/profile.ts";
import { compileSim, type LatencyFn, type SimGraph } from "../sim/sim-graph.ts";
import { NodeKey, numberAnnotation } from "../../ir/annotation-keys.ts";
import { constantNodes, shapeComputingNodes } from "../../ir/node-roles.ts";
import type { Node } from "../../ir/node.ts";
import { PlanCost } from "./plan-cost.ts";
import { resolvePins, type Pin } from "./pins.ts";

export const enum Role { Free = 0, Pinned = 1, Shape = 2, Control = 3, Constant = 4 }

export interface PlacementProblem {
  model: Model;
  profile: DeviceProfile;
  sim: SimGraph;
  /** Processor indices in `sim.processors`; gpu is -1 when the profile has none. */
  cpu: number;
  gpu: number;
  /** Per node of sim.nodes (topological order). */
  sparsity: Float64Array;
  intensity: Float64Array;
  role: Uint8Array;
  /** The pin that decides a pinned node. */
  pins: (Pin | undefined)[];
  /** Processor index a pinned node goes to (-1 otherwise). */
  pinnedTo: Int32Array;
  /** Value indices each node reads or writes (the edges whose transfers its placement decides). */
  incident: number[][];
  /** The one cost of a plan (simulation + runtime calls between partitions). */
  cost: PlanCost;
  /** What `intensity` holds. */
  intensityAxis: IntensityAxis;
}

/**
 * The intensity axis of the quadrant rule: `flops`, a node's absolute floating-point operations
 * (the SparOA paper's computational intensity), or `flop-per-byte`, arithmetic intensity.
 */
export type IntensityAxis = "flops" | "flop-per-byte";
export const INTENSITY_AXES: readonly IntensityAxis[] = ["flops", "flop-per-byte"];
export const DEFAULT_INTENSITY_AXIS: IntensityAxis = "flops";

export interface ProblemOptions {
  pins?: readonly Pin[];
  /** Replaces the profile's latency model (tests, measured tables). */
  latency?: LatencyFn;
  intensity?: IntensityAxis;
}

/** The one sparsity number placement uses (docs/sparsity.md): the larger of weight and input-activation sparsity. */
export function combinedSparsity(node: Node): number | undefined {
  const weight = numberAnnotation(node, NodeKey.weightSparsity);
  const activation = numberAnnotation(node, NodeKey.inputNearZero) ?? numberAnnotation(node, NodeKey.inputSparsity);
  if (weight === undefined) return activation;
  return activation === undefined ? weight : Math.max(weight, activation);
}

/**
 * `latency` replaces the profile's latency model (tests, measured tables). The simulator already
 * counts constant nodes as free and their outputs as resident (onnxruntime folds them at load).
 */
export function placementProblem(model: Model, profile: DeviceProfile, options: ProblemOptions = {}): PlacementProblem {
  const { pins = [], latency } = options;
  const intensityAxis = options.intensity ?? DEFAULT_INTENSITY_AXIS;
  const graph = model.graph;
  const sim = compileSim(model, profile, { latency });
  const constants = constantNodes(graph, sim.nodes);
  const n = sim.nodes.length;
  const cpuName = processorsOfKind(profile, "cpu")[0] ?? profile.host;
  const gpuName = processorsOfKind(profile, "gpu")[0];
  const cpu = sim.processors.indexOf(cpuName);
  const gpu = gpuName === undefined ? -1 : sim.processors.indexOf(gpuName);
  const shapes = shapeComputingNodes(graph, sim.nodes);
  const pinned = resolvePins(graph, pins);
  const sparsity = new Float64Array(n);
  const intensity = new Float64Array(n);
  const role = new Uint8Array(n);
  const pinOf: (Pin | undefined)[] = new Array(n).fill(undefined);
  const pinnedTo = new Int32Array(n).fill(-1);
  sim.nodes.forEach((node, i) => {
    sparsity[i] = numberAnnotation(node, NodeKey.sparsity) ?? combinedSparsity(node) ?? 0;
    intensity[i] = numberAnnotation(node, intensityAxis === "flops" ? NodeKey.flops : NodeKey.intensity) ?? 0;
    const pin = pinned.get(node);
    if (pin) {
      role[i] = Role.Pinned;
      pinOf[i] = pin;
      pinnedTo[i] = sim.processors.indexOf(pin.processor);
    } else if (constants.has(node)) role[i] = Role.Constant;
    else if (shapes.has(node)) role[i] = Role.Shape;
    else if (node.subgraphs().length > 0) role[i] = Role.Control;
  });
  const incident = sim.nodes.map((_, i) => [...sim.inputsOf[i]!, ...sim.outputsOf[i]!]);
  return { model, profile, sim, cpu, gpu, sparsity, intensity, role, pins: pinOf, pinnedTo, incident, cost: new PlanCost(sim), intensityAxis };
}
