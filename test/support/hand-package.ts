// Packages made by hand (before and besides the partitioner): cut a model along a node ->
// (partition, device) assignment and write partition models + manifest.json into a folder.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Node } from "../../ir/index.ts";
import type { PackageManifest } from "../../src/package/manifest.ts";
import { cutModel } from "../../src/runtime/cut.ts";

export interface Placement { partition: number; device: string }

export async function writeHandPackage(modelPath: string, dir: string, place: (node: Node, index: number) => Placement): Promise<PackageManifest> {
  const devices = new Map<number, string>();
  const cut = await cutModel({
    source: { path: modelPath },
    partitionOf: (n, i) => { const p = place(n, i); devices.set(p.partition, p.device); return p.partition; },
    deviceOf: (l) => devices.get(l)!,
  });
  mkdirSync(dir, { recursive: true });
  cut.manifest.partitions.forEach((p, i) => writeFileSync(join(dir, p.file), cut.models[i]!));
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(cut.manifest, null, 2));
  return cut.manifest;
}

/** `count` contiguous slices of `total` nodes, alternating between `devices`. */
export function slices(total: number, count: number, devices: readonly string[] = ["cpu"]): (node: Node, index: number) => Placement {
  return (_n, i) => {
    const partition = Math.min(count - 1, Math.floor((i * count) / total));
    return { partition, device: devices[partition % devices.length]! };
  };
}
