// The pass manager: runs a pipeline over a model, schedules required analyses that are not
// valid, keeps the analyses' results (a cache keyed by pass) while they stay valid, invalidates
// what a changing pass does not preserve (results and the annotations those analyses wrote), and
// lets instruments watch.
import type { Annotated } from "../ir/annotated.ts";
import type { Model } from "../ir/model.ts";
import { Node } from "../ir/node.ts";
import { createPass, PassContext, PassError, type AnalysisKey, type Annotates, type Pass, type PassResult, type ProgressHook } from "./pass.ts";
import { lookupPass, registeredPasses } from "./registry.ts";

/** Hooks around each pass (printing, dumping, timing, verifying), as in MLIR's PassInstrumentation. */
export interface PassInstrument {
  beforePipeline?(model: Model): void;
  beforePass?(pass: Pass, model: Model, index: number): void;
  afterPass?(pass: Pass, model: Model, run: PassRun): void;
  /** Called when a pass throws; may return a path where it wrote a reproducer. */
  onFailure?(pass: Pass, model: Model, index: number, error: unknown): string | undefined;
  afterPipeline?(model: Model, runs: readonly PassRun[]): void;
}

export interface PassRun {
  index: number;
  pass: Pass;
  result: PassResult;
  milliseconds: number;
  /** True when the manager added this pass to satisfy another pass's `requires`. */
  scheduled: boolean;
  /** The pass changed its annotations and nothing else (`result.changed` is then true too). */
  annotationsOnly: boolean;
  messages: readonly string[];
}

/** The analysis result of the last run of `pass` among `runs` (what a pipeline's caller reads). */
export function analysisOf<R>(runs: readonly PassRun[], pass: AnalysisKey<R>): R | undefined {
  for (let k = runs.length - 1; k >= 0; k--) if (runs[k]!.pass.name === pass.definition.name) return runs[k]!.result.analysis as R | undefined;
  return undefined;
}

export class PassManager {
  private readonly instruments: PassInstrument[] = [];
  private progress: ProgressHook = () => {};
  /** `analysis` results of the passes still valid, by pass name. */
  private readonly analyses = new Map<string, unknown>();

  constructor(private readonly pipeline: readonly Pass[]) {}

  addInstrument(instrument: PassInstrument): this {
    this.instruments.push(instrument);
    return this;
  }

  /** Where passes report progress of long work (the CLI draws a bar). */
  setProgress(hook: ProgressHook): this {
    this.progress = hook;
    return this;
  }

  get passes(): readonly Pass[] {
    return this.pipeline;
  }

  async run(model: Model): Promise<PassRun[]> {
    const runs: PassRun[] = [];
    const valid = new Set<string>();
    this.analyses.clear();
    for (const inst of this.instruments) inst.beforePipeline?.(model);
    for (const pass of this.pipeline) {
      for (const dep of this.missingRequirements(pass, valid)) await this.runOne(dep, model, runs, valid, true);
      await this.runOne(pass, model, runs, valid, false);
    }
    for (const inst of this.instruments) inst.afterPipeline?.(model, runs);
    return runs;
  }

  private missingRequirements(pass: Pass, valid: Set<string>, seen = new Set<string>()): Pass[] {
    const out: Pass[] = [];
    for (const name of pass.requires ?? []) {
      if (valid.has(name) || seen.has(name)) continue;
      seen.add(name);
      const definition = lookupPass(name);
      if (!definition) throw new Error(`pass '${pass.name}' requires unknown pass '${name}'`);
      const dep = createPass(definition, {});
      out.push(...this.missingRequirements(dep, valid, seen), dep);
    }
    return out;
  }

  private async runOne(pass: Pass, model: Model, runs: PassRun[], valid: Set<string>, scheduled: boolean): Promise<void> {
    const index = runs.length + 1;
    for (const inst of this.instruments) inst.beforePass?.(pass, model, index);
    const context = new PassContext(this.progress, (name) => (valid.has(name) ? this.analyses.get(name) : undefined));
    const before = pass.annotates ? snapshot(model, pass.annotates) : undefined;
    const start = performance.now();
    let result: PassResult;
    let annotationsOnly = false;
    try {
      result = await pass.run(model, context);
      annotationsOnly = !result.changed && before !== undefined && !sameAnnotations(model, pass.annotates!, before);
      if (annotationsOnly) result = { ...result, changed: true };
    } catch (error) {
      let reproducer: string | undefined;
      for (const inst of this.instruments) reproducer = inst.onFailure?.(pass, model, index, error) ?? reproducer;
      if (error instanceof PassError) throw error;
      throw new PassError(pass.name, context.currentNode, error, reproducer);
    }
    const run: PassRun = { index, pass, result, milliseconds: performance.now() - start, scheduled, annotationsOnly, messages: context.messages };
    runs.push(run);
    if (result.changed && pass.preserves !== "all") {
      const kept = new Set(pass.preserves ?? []);
      for (const name of [...valid]) if (!kept.has(name) && name !== pass.name) { valid.delete(name); this.analyses.delete(name); }
      removeStaleAnnotations(model, pass.name, kept);
    }
    valid.add(pass.name);
    if (result.analysis !== undefined) this.analyses.set(pass.name, result.analysis);
    else this.analyses.delete(pass.name);
    for (const inst of this.instruments) inst.afterPass?.(pass, model, run);
  }

}

/**
 * After `changer` changed the IR: the annotations of every analysis it does not preserve are
 * stale (flops after a shape change), whichever pipeline wrote them, so they go.
 */
function removeStaleAnnotations(model: Model, changer: string, kept: ReadonlySet<string>): void {
  const nodes = new Set<string>();
  const values = new Set<string>();
  for (const definition of registeredPasses()) {
    if (definition.name === changer || kept.has(definition.name) || !definition.annotates) continue;
    for (const key of definition.annotates.nodes ?? []) nodes.add(key);
    for (const key of definition.annotates.values ?? []) values.add(key);
  }
  if (nodes.size + values.size === 0) return;
  const keys = { nodes: [...nodes], values: [...values] };
  for (const target of annotatable(model, keys)) if (target.hasAnnotations) for (const key of keysOf(target, keys)) target.annotations.delete(key);
}

/** Stands for every key of a node or value without annotations (most, before an analysis runs). */
const NONE = Symbol("no annotations");

/** The nodes (when `keys` has node keys) and values (when it has value keys) of every graph, in a fixed order. */
function* annotatable(model: Model, keys: Annotates): Iterable<Annotated> {
  if ((keys.nodes?.length ?? 0) > 0) yield* model.graph.allNodes();
  if ((keys.values?.length ?? 0) === 0) return;
  for (const node of model.graph.allNodes()) yield* node.outputs;
  for (const g of model.graph.allGraphs()) yield* g.inputs;
}

function keysOf(target: Annotated, keys: Annotates): readonly string[] {
  return (target instanceof Node ? keys.nodes : keys.values) ?? [];
}

/** The values of an analysis's annotation keys everywhere, in a fixed order; one NONE for an element without annotations. */
function snapshot(model: Model, keys: Annotates): unknown[] {
  const out: unknown[] = [];
  for (const target of annotatable(model, keys)) {
    if (!target.hasAnnotations) { out.push(NONE); continue; }
    for (const key of keysOf(target, keys)) out.push(target.annotations.get(key));
  }
  return out;
}

/** Whether the annotations are what `before` recorded; stops at the first difference. */
function sameAnnotations(model: Model, keys: Annotates, before: readonly unknown[]): boolean {
  let i = 0;
  const same = (x: unknown, y: unknown) => Object.is(x, y) || (typeof x === "object" && x !== null && JSON.stringify(x) === JSON.stringify(y));
  for (const target of annotatable(model, keys)) {
    if (before[i] === NONE) {
      i++;
      if (target.hasAnnotations && keysOf(target, keys).some((key) => target.annotations.has(key))) return false;
      continue;
    }
    if (!target.hasAnnotations) return false;
    for (const key of keysOf(target, keys)) if (!same(before[i++], target.annotations.get(key))) return false;
  }
  return i === before.length;
}
