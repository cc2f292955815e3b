// What placement decides from, computed once per model and device profile: the simulator's
// compiled graph (every node's predicted time on every processor, the values between nodes and
// their sizes, the link costs), each node's sparsity and intensity, and its role: pinned,
// shape computation, control flow, constant, or free to place. The threshold search evaluates
// many placements against this one structure.
import type { Model } from "../../ir/model.ts";
import { processorsOfKind, type DeviceProfile } from "../../src/devices/profile.ts";
import { compileSim, type LatencyFn, type SimGraph } from "../../src/sim/sim-graph.ts";
import { NodeKey, numberAnnotation } from "../annotations.ts";
import { constantNodes, shapeComputingNodes } from "../node-roles.ts";
import { updateCombinedSparsity } from "../support/combined-sparsity.ts";
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
  /** Non-constant nodes (sim indices) and, per such node, the positions of its non-constant producers in that list. */
  scheduled: number[];
  scheduledPreds: number[][];
}

/**
 * `latency` replaces the profile's latency model (tests, measured tables). The simulator already
 * counts constant nodes as free and their outputs as resident (onnxruntime folds them at load).
 */
export function placementProblem(model: Model, profile: DeviceProfile, pins: readonly Pin[] = [], latency?: LatencyFn): PlacementProblem {
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
    sparsity[i] = numberAnnotation(node, NodeKey.sparsity) ?? updateCombinedSparsity(node) ?? 0;
    intensity[i] = numberAnnotation(node, NodeKey.intensity) ?? 0;
    const pin = pinned.get(node);
    if (pin) {
      role[i] = Role.Pinned;
      pinOf[i] = pin;
      pinnedTo[i] = sim.processors.indexOf(pin.device);
    } else if (constants.has(node)) role[i] = Role.Constant;
    else if (shapes.has(node)) role[i] = Role.Shape;
    else if (node.subgraphs().length > 0) role[i] = Role.Control;
  });
  const incident = sim.nodes.map((_, i) => [...sim.inputsOf[i]!, ...sim.outputsOf[i]!]);
  const scheduled: number[] = [];
  const position = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) if (role[i] !== Role.Constant) { position[i] = scheduled.length; scheduled.push(i); }
  const scheduledPreds = scheduled.map((i) => [...new Set(sim.inputsOf[i]!.map((vi) => sim.values[vi]!.producer).filter((p) => p >= 0 && position[p]! >= 0).map((p) => position[p]!))]);
  return { model, profile, sim, cpu, gpu, sparsity, intensity, role, pins: pinOf, pinnedTo, incident, scheduled, scheduledPreds };
}
