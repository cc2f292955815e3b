// Every pass and named pipeline, by name. A pass file registers itself here; the CLI and
// pipeline strings look passes up by name.
import type { PassFactory } from "./pass.ts";

interface Registered { factory: PassFactory; description: string }

const passes = new Map<string, Registered>();
const pipelines = new Map<string, { pipeline: string; description: string }>();

/** Registers a pass under the name and description its default instance reports. */
export function registerPass(factory: PassFactory): void {
  const sample = factory({});
  passes.set(sample.name, { factory, description: sample.description });
}

export function registerPipeline(name: string, pipeline: string, description: string): void {
  pipelines.set(name, { pipeline, description });
}

export function lookupPass(name: string): PassFactory | undefined {
  return passes.get(name)?.factory;
}

export function lookupPipeline(name: string): string | undefined {
  return pipelines.get(name)?.pipeline;
}

export function listPasses(): { name: string; description: string }[] {
  return [...passes].map(([name, r]) => ({ name, description: r.description })).sort((a, b) => a.name.localeCompare(b.name));
}

export function listPipelines(): { name: string; pipeline: string; description: string }[] {
  return [...pipelines].map(([name, r]) => ({ name, ...r }));
}
