// Pipeline strings: `dce,topo-sort`, `shape-inference{input-shape=x:1x3x224x224},cost`, or
// the name of a registered pipeline, which expands in place.
import { SparoaError } from "../ir/sparoa-error.ts";
import { didYouMean } from "../ir/names.ts";
import { listPasses, listPipelines, lookupPass, lookupPipeline } from "./registry.ts";
import type { Pass } from "./pass.ts";

export interface PipelineEntry { name: string; options: Record<string, string> }

export class PipelineError extends SparoaError {}

export function parsePipeline(text: string, depth = 0): PipelineEntry[] {
  if (depth > 8) throw new PipelineError(`pipeline '${text}' expands into itself`);
  const entries: PipelineEntry[] = [];
  for (const item of splitTopLevel(text)) {
    const m = /^([A-Za-z0-9_.-]+)(?:\{(.*)\})?$/s.exec(item.trim());
    if (!m) throw new PipelineError(`cannot read pipeline element '${item.trim()}' (expected name or name{key=value,...})`);
    const [, name, body] = m as unknown as [string, string, string | undefined];
    const options: Record<string, string> = {};
    for (const kv of body ? splitTopLevel(body) : []) {
      const eq = kv.indexOf("=");
      if (eq < 0) throw new PipelineError(`option '${kv}' of pass '${name}' needs the form key=value`);
      options[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
    }
    const named = lookupPipeline(name);
    if (named !== undefined && !lookupPass(name)) {
      entries.push(...parsePipeline(named, depth + 1));
      continue;
    }
    if (!lookupPass(name)) {
      const known = [...listPasses().map((p) => p.name), ...listPipelines().map((p) => p.name)];
      throw new PipelineError(`unknown pass '${name}'${didYouMean(name, known)}; 'sparoa passes' lists them`);
    }
    entries.push({ name, options });
  }
  return entries;
}

export function instantiate(entries: readonly PipelineEntry[]): Pass[] {
  return entries.map((e) => lookupPass(e.name)!(e.options));
}

/** Splits on commas that are not inside braces. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{") depth++;
    else if (c === "}") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== "");
}
