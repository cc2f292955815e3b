// What a pass is: a named transformation or analysis over the IR that says whether it changed
// anything and reports named statistics, like MLIR's passes.
import { SparoaError } from "../ir/sparoa-error.ts";
import type { Model } from "../ir/model.ts";
import type { Node } from "../ir/node.ts";
import { checkOptions, type AnyOptionValues, type OptionSchema, type OptionValues } from "./options.ts";

export interface PassResult<R = unknown> {
  /**
   * The IR or the annotations the pass writes (`annotates`) differ from before. The manager also
   * compares those annotations itself, so a pass that rewrites them with new values is changed.
   */
  changed: boolean;
  /** Named counters shown by --pass-statistics, e.g. `{ "nodes-removed": 3 }`. */
  statistics?: Record<string, number>;
  /**
   * A result for later passes and the caller, beyond the annotations (placement's plan and
   * reasons). The manager keeps it while the pass stays valid; later passes read it with
   * `context.analysis(pass)`, callers with `analysisOf(runs, pass)`.
   */
  analysis?: R;
}

/** The annotation keys an analysis owns: removed by the manager when its result is invalidated. */
export interface Annotates {
  readonly nodes?: readonly string[];
  readonly values?: readonly string[];
}

export interface Pass<R = unknown> {
  readonly name: string;
  /** One line for `--help` and `sparoa passes`. */
  readonly description: string;
  /** Passes whose results must be valid first; the manager schedules them when missing. */
  readonly requires?: readonly string[];
  /** Analyses still valid after this pass changes the IR ("all" for analyses that only annotate). */
  readonly preserves?: readonly string[] | "all";
  /** The annotations it writes; stale ones go when a pass that does not preserve it changes the IR. */
  readonly annotates?: Annotates;
  run(model: Model, context: PassContext): PassResult<R> | Promise<PassResult<R>>;
}

/** A pass as registered: its name, description and option schema, and how to make it from option values. */
export interface PassDefinition<S extends OptionSchema = OptionSchema, R = unknown> {
  readonly name: string;
  /** One line for `--help` and `sparoa passes`. */
  readonly description: string;
  readonly options: S;
  /** The annotations it writes; stale ones go when a pass that does not preserve it changes the IR. */
  readonly annotates?: Annotates;
  /** Makes the pass from validated option values. */
  build(options: OptionValues<S>): Omit<Pass<R>, "name" | "description" | "annotates">;
}

/** A pass factory as the key of its analysis result, typed by what its run returns. */
export interface AnalysisKey<R> {
  readonly definition: { readonly name: string; build(options: never): { run(model: Model, context: PassContext): PassResult<R> | Promise<PassResult<R>> } };
}

/** Makes a pass: `dcePass()`, `placementPass({ profile: "agx-orin", pin: ["conv1=gpu"] })`. */
export interface PassFactory<S extends OptionSchema = OptionSchema, R = unknown> {
  (options?: OptionValues<S>): Pass<R>;
  readonly definition: PassDefinition<S, R>;
}

export function definePass<S extends OptionSchema, R = unknown>(definition: PassDefinition<S, R>): PassFactory<S, R> {
  return Object.assign((options: OptionValues<S> = {}) => createPass(definition, options), { definition });
}

/** The pass `definition` makes from `options`, after the one validation of option values (checkOptions). */
export function createPass<S extends OptionSchema, R>(definition: PassDefinition<S, R>, options: AnyOptionValues): Pass<R> {
  const body = definition.build(checkOptions(definition.name, definition.options, options));
  return { name: definition.name, description: definition.description, annotates: definition.annotates, ...body };
}

/**
 * Reports progress of long work inside a pass (`done` of `total` steps under `label`); the CLI
 * draws it as a progress bar. Passes must not import the CLI, so it arrives through the context.
 */
export type ProgressHook = (label: string, done: number, total: number) => void;

/** Handed to a running pass: progress reporting, earlier analyses' results, a log, and where it is (for error reports). */
export class PassContext {
  /** The node the pass is working on; set through `at()` so failures can name it. */
  currentNode: Node | null = null;
  readonly messages: string[] = [];

  constructor(readonly progress: ProgressHook = () => {}, private readonly analyses: (pass: string) => unknown = () => undefined) {}

  /** The `analysis` result of `pass` when it ran earlier and is still valid (the manager's cache). */
  analysis<R>(pass: AnalysisKey<R>): R | undefined {
    return this.analyses(pass.definition.name) as R | undefined;
  }

  at(node: Node): void {
    this.currentNode = node;
  }

  warn(message: string): void {
    this.messages.push(message);
  }
}

/** A pass failed: names the pass and the node it was on. */
export class PassError extends SparoaError {
  constructor(readonly passName: string, readonly node: Node | null, override readonly cause: unknown, readonly reproducer?: string) {
    const where = node ? ` on node '${node.name || "(unnamed)"}' (${node.opType})` : "";
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`pass '${passName}' failed${where}: ${why}${reproducer ? ` [IR before the pass written to ${reproducer}]` : ""}`);
  }
}
