// Every pass and named pipeline, by name. The built-in passes are registered by one explicit
// call, registerBuiltinPasses() (passes/builtin-passes.ts), never by importing a file; the CLI
// and pipeline strings look passes up by name. An alias keeps an old pass name working.
import type { OptionSchema } from "./options.ts";
import type { PassDefinition, PassFactory } from "./pass.ts";

const passes = new Map<string, PassDefinition>();
const aliases = new Map<string, string>();
const pipelines = new Map<string, { pipeline: string; description: string }>();

/** Registers a pass (made with definePass) under its definition's name. */
export function registerPass<S extends OptionSchema, R>(factory: PassFactory<S, R>): void {
  passes.set(factory.definition.name, factory.definition as PassDefinition<S, R> as unknown as PassDefinition);
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

export function lookupPass(name: string): PassDefinition | undefined {
  return passes.get(currentPassName(name));
}

export function registeredPasses(): PassDefinition[] {
  return [...passes.values()];
}

export function lookupPipeline(name: string): string | undefined {
  return pipelines.get(name)?.pipeline;
}

/** One option as `sparoa passes` lists it. */
export interface OptionListing { name: string; type: string; description: string; default?: string }

export function listPasses(): { name: string; description: string; options: OptionListing[] }[] {
  return [...passes.values()].map((d) => ({
    name: d.name, description: d.description,
    options: Object.entries(d.options).map(([name, o]) => ({ name, type: o.type, description: o.description, ...(o.default !== undefined ? { default: o.default } : {}) })),
  })).sort((a, b) => a.name.localeCompare(b.name));
}

/** Old pass names that still work, and the pass each names. */
export function listPassAliases(): { alias: string; pass: string }[] {
  return [...aliases].map(([alias, pass]) => ({ alias, pass }));
}

export function listPipelines(): { name: string; pipeline: string; description: string }[] {
  return [...pipelines].map(([name, r]) => ({ name, ...r }));
}
