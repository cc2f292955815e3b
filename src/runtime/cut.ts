// Cuts a model into partition models along a node -> partition assignment, and describes them
// with a `sparoa.package.v1` manifest. The runtime uses it to run a device-annotated model
// directly; tests and benchmarks use it to make packages by hand.
import { Value, byteSize, decodeModel, dtypeName, loadModel, modelBytes, modelFromProto, type Graph, type Model, type Node } from "../../ir/index.ts";
import { PACKAGE_SCHEMA, type PackageManifest, type PartitionSpec, type TensorSpec } from "../package/manifest.ts";
import { inferValueTypes } from "./value-types.ts";

export class CutError extends Error {
  override name = "CutError";
}

export interface CutResult {
  manifest: PackageManifest;
  /** Partition model bytes, in manifest order. */
  models: Uint8Array[];
}

export interface CutRequest {
  /** A model file (external data resolves next to it) or model bytes. */
  source: { path: string } | { bytes: Uint8Array; name: string };
  /** Partition label per main-graph node index; labels need not be in order. */
  partitionOf: (node: Node, index: number) => number;
  /** Logical device per partition label. */
  deviceOf: (label: number) => string;
  profile?: string;
}

function freshCopy(source: CutRequest["source"]): Model {
  return "path" in source ? loadModel(source.path) : modelFromProto(decodeModel(source.bytes));
}

/** The main-graph node that holds `node` (itself, or the If/Loop/Scan whose subgraph it is in). */
function topLevel(node: Node, main: Graph): Node {
  let n = node;
  while (n.graph && n.graph !== main && n.graph.parent) n = n.graph.parent;
  return n;
}

function spec(v: Value, fallback?: Value): TensorSpec {
  const t = v.type ?? fallback?.type;
  if (t?.kind !== "tensor") return { name: v.name, dtype: "undef", shape: null };
  return { name: v.name, dtype: dtypeName(t.elemType), shape: t.shape ? [...t.shape] : null };
}

export async function cutModel(req: CutRequest): Promise<CutResult> {
  const model = freshCopy(req.source);
  const g = model.graph;
  const label = new Map<Node, number>();
  g.nodes.forEach((n, i) => label.set(n, req.partitionOf(n, i)));

  // Which partitions read each value defined by a node (by top-level reader).
  const readers = new Map<Value, Set<number>>();
  for (const n of g.nodes) {
    for (const out of n.outputs) {
      const set = new Set<number>();
      for (const u of out.uses) set.add(label.get(topLevel(u.node, g))!);
      readers.set(out, set);
    }
  }
  // Order the partitions: label A precedes B when B reads a value A produces.
  const labels = [...new Set(label.values())];
  const edges = new Map<number, Set<number>>(labels.map((l) => [l, new Set()]));
  for (const [v, set] of readers) for (const r of set) if (r !== label.get(v.producer!)) edges.get(label.get(v.producer!)!)!.add(r);
  const order = topoLabels(labels, edges);
  const idOf = new Map(order.map((l, i) => [l, i]));

  const graphOutputs = new Set(g.outputs);
  const boundaryNames = new Set<string>();
  for (const [v, set] of readers) if ([...set].some((r) => r !== label.get(v.producer!))) boundaryNames.add(v.name);
  const types = await inferValueTypes(model, [...boundaryNames].filter((n) => !hasTensorType(g, n)));

  const partitions: PartitionSpec[] = [];
  const models: Uint8Array[] = [];
  const boundaries: PackageManifest["boundaries"] = [];
  for (const l of order) {
    const id = idOf.get(l)!;
    const inputs: string[] = [];
    const deps = new Set<number>();
    const m = freshCopy(req.source);
    const pg = m.graph;
    const keep = new Set(pg.nodes.filter((_, i) => label.get(g.nodes[i]!) === l));
    const byName = new Map(g.nodes.flatMap((n) => n.outputs.map((v) => [v.name, v] as const)));
    // Outputs: values this partition makes that the model returns or another partition reads.
    const outputs: Value[] = [];
    for (const n of keep) for (const v of n.outputs) {
      const orig = byName.get(v.name)!;
      if (graphOutputs.has(orig) || [...readers.get(orig)!].some((r) => r !== l)) outputs.push(v);
    }
    pg.outputs.splice(0, pg.outputs.length, ...outputs);
    for (const v of outputs) {
      pg.outputSources.delete(v);
      v.type ??= types.get(v.name);
    }
    // Inputs: model inputs it reads, and values produced in other partitions (typed new inputs).
    const newInputs: Value[] = [];
    for (const n of pg.nodes) {
      if (keep.has(n)) continue;
      for (const v of n.outputs) {
        if (!v.uses.some((u) => keep.has(topLevel(u.node, pg)))) continue;
        const orig = byName.get(v.name)!;
        const input = new Value(v.name, v.type ?? orig.type ?? types.get(v.name));
        if (!input.type) throw new CutError(`value '${v.name}' crosses from partition ${idOf.get(label.get(orig.producer!)!)} to ${id} but onnxruntime could not tell its type`);
        v.replaceAllUsesWith(input);
        newInputs.push(input);
        deps.add(idOf.get(label.get(orig.producer!)!)!);
      }
    }
    pg.removeNodes(pg.nodes.filter((n) => !keep.has(n)));
    const usedOriginalInputs = pg.inputs.filter((v) => v.uses.length > 0 || pg.outputs.includes(v));
    for (const [name, v] of [...pg.initializers]) if (v.uses.length === 0) pg.initializers.delete(name);
    pg.inputs.splice(0, pg.inputs.length, ...usedOriginalInputs);
    for (const v of newInputs) pg.addInput(v);
    for (const v of pg.inputs) if (!v.initializer) inputs.push(v.name);
    models.push(modelBytes(m));
    partitions.push({ id, device: req.deviceOf(l), file: `partition-${id}.onnx`, inputs, outputs: outputs.map((v) => v.name), dependsOn: [...deps].sort((a, b) => a - b), nodes: keep.size });
  }
  for (const [v, set] of readers) {
    if (!boundaryNames.has(v.name)) continue;
    const from = idOf.get(label.get(v.producer!)!)!;
    const to = [...set].filter((r) => r !== label.get(v.producer!)).map((r) => idOf.get(r)!).sort((a, b) => a - b);
    const t = v.type?.kind === "tensor" ? v.type : types.get(v.name);
    boundaries.push({ name: v.name, from, to, bytes: t?.kind === "tensor" && t.shape?.every((d) => typeof d === "number") ? byteSize(t.elemType, t.shape.reduce<number>((a, d) => a * (d as number), 1)) : null });
  }
  const realInputs = g.inputs.filter((v) => !v.initializer);
  const name = "path" in req.source ? req.source.path.split("/").pop()! : req.source.name;
  const manifest: PackageManifest = {
    schema: PACKAGE_SCHEMA,
    source: { file: name, inputs: realInputs.map((v) => spec(v)), outputs: g.outputs.map((v) => spec(v, undefined)) },
    partitions,
    boundaries,
    plan: { profile: req.profile ?? "hand-cut" },
  };
  return { manifest, models };
}

function hasTensorType(g: Graph, name: string): boolean {
  for (const n of g.nodes) for (const v of n.outputs) if (v.name === name) return v.type?.kind === "tensor";
  return false;
}

function topoLabels(labels: number[], edges: Map<number, Set<number>>): number[] {
  const indegree = new Map(labels.map((l) => [l, 0]));
  for (const set of edges.values()) for (const t of set) indegree.set(t, indegree.get(t)! + 1);
  const ready = labels.filter((l) => indegree.get(l) === 0).sort((a, b) => a - b);
  const order: number[] = [];
  while (ready.length > 0) {
    const l = ready.shift()!;
    order.push(l);
    for (const t of edges.get(l)!) {
      indegree.set(t, indegree.get(t)! - 1);
      if (indegree.get(t) === 0) { ready.push(t); ready.sort((a, b) => a - b); }
    }
  }
  if (order.length !== labels.length) {
    const stuck = labels.filter((l) => !order.includes(l));
    throw new CutError(`partitions ${stuck.join(", ")} depend on each other in a cycle; a partition must be runnable once its inputs exist`);
  }
  return order;
}

/** Contiguous runs of the same device in node order: always a valid, acyclic cut. */
export function runsOfDevice(devices: readonly string[]): number[] {
  const out: number[] = [];
  let label = 0;
  devices.forEach((d, i) => { if (i > 0 && d !== devices[i - 1]) label++; out.push(label); });
  return out;
}
