// Every pass and named pipeline, by name. The built-in passes are registered by one explicit
// call, registerBuiltinPasses() (passes/builtin-passes.ts), never by importing a file; the CLI
// and pipeline strings look passes up by name. An alias keeps an old pass name working.
import type { PassFactory } from "./pass.ts";

interface Registered { factory: PassFactory; description: string }

const passes = new Map<string, Registered>();
const aliases = new Map<string, string>();
const pipelines = new Map<string, { pipeline: string; description: string }>();

/** Registers a pass under the name and description its default instance reports. */
export function registerPass(factory: PassFactory): void {
  const sample = factory({});
  passes.set(sample.name, { factory, description: sample.description });
}

/** `old` names the pass `name` in pipelines (a renamed pass keeps its old name working). */
export function registerPassAlias(old: string, name: string): void {
  aliases.set(old, name);
}

export function registerPipeline(name: string, pipeline: string, description: string): void {
  pipelines.set(name, { pipeline, description });
}

/** The name a pass runs under: `name` itself, or the pass an old name (alias) stands for. */
export function currentPassName(name: string): string {
  return aliases.get(name) ?? name;
}

export function lookupPass(name: string): PassFactory | undefined {
  return passes.get(currentPassName(name))?.factory;
}

export function lookupPipeline(name: string): string | undefined {
  return pipelines.get(name)?.pipeline;
}

export function listPasses(): { name: string; description: string }[] {
  return [...passes].map(([name, r]) => ({ name, description: r.description })).sort((a, b) => a.name.localeCompare(b.name));
}

/** Old pass names that still work, and the pass each names. */
export function listPassAliases(): { alias: string; pass: string }[] {
  return [...aliases].map(([alias, pass]) => ({ alias, pass }));
}

export function listPipelines(): { name: string; pipeline: string; description: string }[] {
  return [...pipelines].map(([name, r]) => ({ name, ...r }));
}
