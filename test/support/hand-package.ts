// Packages made by hand: give every node a partition and a device, then cut and write the
// package with the emitter `sparoa optimize` uses (src/package/emit.ts). Partition labels
// must follow a topological order of the partition graph (contiguous slices always do).
import { loadModel, type Node, type Value } from "../../ir/index.ts";
import { NodeKey } from "../../passes/annotations.ts";
import { describePartitions } from "../../passes/partitioning.ts";
import { buildPackage, dataInputs } from "../../src/package/emit.ts";
import type { PackageManifest } from "../../src/package/manifest.ts";
import { resolveValueTypes } from "../../src/package/value-types.ts";
import { writeFiles } from "../../src/package/write.ts";

export interface Placement { partition: number; device: string }

export async function writeHandPackage(modelPath: string, dir: string, place: (node: Node, index: number) => Placement): Promise<PackageManifest> {
  const model = loadModel(modelPath);
  model.graph.nodes.forEach((n, i) => {
    const p = place(n, i);
    for (const node of [n, ...n.subgraphs().flatMap((sub) => [...sub.allNodes()])]) {
      node.annotations.set(NodeKey.partition, p.partition);
      node.annotations.set(NodeKey.device, p.device);
    }
  });
  const partitioning = describePartitions(model.graph);
  const needed = new Set<Value>([...partitioning.boundaries.map((b) => b.value), ...dataInputs(model), ...model.graph.outputs]);
  const { manifest, files } = buildPackage(model, partitioning, await resolveValueTypes(model, needed), { profile: "hand-cut" });
  writeFiles(dir, files);
  return manifest;
}

/** `count` contiguous slices of `total` nodes, alternating between `devices`. */
export function slices(total: number, count: number, devices: readonly string[] = ["cpu"]): (node: Node, index: number) => Placement {
  return (_n, i) => {
    const partition = Math.min(count - 1, Math.floor((i * count) / total));
    return { partition, device: devices[partition % devices.length]! };
  };
}
