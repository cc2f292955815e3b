// Where every value of a package goes at run time, fixed once at load: for each processor, the
// partitions it runs, how many of them read each value (the worker drops a value after its
// last local reader), the model inputs it needs from the main thread, and for each partition
// output whether it stays on the processor, goes to which other processors, and whether it is a
// model output the main thread collects.
import type { PackageManifest } from "../package/manifest.ts";
import type { OutputRoute } from "./messages.ts";

export interface PartitionRoutes { id: number; inputs: string[]; outputs: { name: string; route: OutputRoute }[] }

export interface ProcessorRoutes {
  processor: string;
  /** This processor's partitions, in the manifest's (topological) order. */
  partitions: PartitionRoutes[];
  /** Value -> number of this processor's partitions that read it. */
  readers: Record<string, number>;
  /** Model inputs this processor's partitions read. */
  inputs: string[];
}

export function planRoutes(manifest: PackageManifest, processors: readonly string[]): ProcessorRoutes[] {
  const modelInputs = new Set(manifest.source.inputs.map((t) => t.name));
  const modelOutputs = new Set(manifest.source.outputs.map((t) => t.name));
  const readers = new Map(processors.map((d) => [d, {} as Record<string, number>]));
  for (const p of manifest.partitions) {
    const r = readers.get(p.processor)!;
    for (const n of p.inputs) r[n] = (r[n] ?? 0) + 1;
  }
  const readOn = (processor: string, name: string) => (readers.get(processor)![name] ?? 0) > 0;
  return processors.map((processor) => {
    const parts = manifest.partitions.filter((p) => p.processor === processor);
    return {
      processor,
      partitions: parts.map((p) => ({
        id: p.id,
        inputs: p.inputs,
        outputs: p.outputs.map((name) => ({
          name,
          route: { local: readOn(processor, name), peers: processors.filter((d) => d !== processor && readOn(d, name)), main: modelOutputs.has(name) },
        })),
      })),
      readers: readers.get(processor)!,
      inputs: [...new Set(parts.flatMap((p) => p.inputs.filter((n) => modelInputs.has(n))))],
    };
  });
}

export interface RouteSummary {
  /** Values that stay on the processor that made them. */
  kept: number;
  /** Values sent from one processor's worker straight to another's. */
  crossings: { name: string; from: string; to: string }[];
  /** Model outputs returned to the main thread. */
  returned: number;
}

/** What travels where on each request, for `sparoa run` / `sparoa bench` output. */
export function summarizeRoutes(routes: readonly ProcessorRoutes[]): RouteSummary {
  const summary: RouteSummary = { kept: 0, crossings: [], returned: 0 };
  for (const r of routes) {
    for (const p of r.partitions) {
      for (const { name, route } of p.outputs) {
        if (route.local) summary.kept++;
        for (const to of route.peers) summary.crossings.push({ name, from: r.processor, to });
        if (route.main) summary.returned++;
      }
    }
  }
  return summary;
}

export function describeRouteSummary(s: RouteSummary): string {
  const pairs = new Map<string, number>();
  for (const c of s.crossings) pairs.set(`${c.from} -> ${c.to}`, (pairs.get(`${c.from} -> ${c.to}`) ?? 0) + 1);
  const crossing = s.crossings.length === 0 ? "none crosses processors" : `${s.crossings.length} cross processors worker to worker (${[...pairs].map(([k, n]) => `${n} ${k}`).join(", ")})`;
  return `per request: ${s.kept} value(s) stay on the processor that made them, ${crossing}, ${s.returned} model output(s) return`;
}
