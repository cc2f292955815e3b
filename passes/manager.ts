// The pass manager: runs a pipeline over a model, schedules required analyses that are not
// valid, invalidates what a changing pass does not preserve, and lets instruments watch.
import type { Model } from "../ir/model.ts";
import { PassContext, PassError, type Pass, type PassResult, type ProgressHook } from "./pass.ts";
import { lookupPass } from "./registry.ts";

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
  messages: readonly string[];
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
      const factory = lookupPass(name);
      if (!factory) throw new Error(`pass '${pass.name}' requires unknown pass '${name}'`);
      const dep = factory({});
      out.push(...this.missingRequirements(dep, valid, seen), dep);
    }
    return out;
  }

  private async runOne(pass: Pass, model: Model, runs: PassRun[], valid: Set<string>, scheduled: boolean): Promise<void> {
    const index = runs.length + 1;
    for (const inst of this.instruments) inst.beforePass?.(pass, model, index);
    const context = new PassContext({}, this.progress, (name) => (valid.has(name) ? this.analyses.get(name) : undefined));
    const start = performance.now();
    let result: PassResult;
    try {
      result = await pass.run(model, context);
    } catch (error) {
      let reproducer: string | undefined;
      for (const inst of this.instruments) reproducer = inst.onFailure?.(pass, model, index, error) ?? reproducer;
      if (error instanceof PassError) throw error;
      throw new PassError(pass.name, context.currentNode, error, reproducer);
    }
    const run: PassRun = { index, pass, result, milliseconds: performance.now() - start, scheduled, messages: context.messages };
    runs.push(run);
    if (result.changed && pass.preserves !== "all") {
      const kept = new Set(pass.preserves ?? []);
      for (const name of [...valid]) if (!kept.has(name)) { valid.delete(name); this.analyses.delete(name); }
    }
    valid.add(pass.name);
    if (result.analysis !== undefined) this.analyses.set(pass.name, result.analysis);
    else this.analyses.delete(pass.name);
    for (const inst of this.instruments) inst.afterPass?.(pass, model, run);
  }
}
