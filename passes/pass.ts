// What a pass is: a named transformation or analysis over the IR that says whether it changed
// anything and reports named statistics, like MLIR's passes.
import { SparoaError } from "../ir/sparoa-error.ts";
import type { Model } from "../ir/model.ts";
import type { Node } from "../ir/node.ts";

export interface PassResult {
  changed: boolean;
  /** Named counters shown by --pass-statistics, e.g. `{ "nodes-removed": 3 }`. */
  statistics?: Record<string, number>;
  /**
   * A result for later passes and the caller, beyond the annotations (placement's plan and
   * reasons). The manager keeps it while the pass stays valid; later passes read it with
   * `context.analysis(name)`, callers from the PassRun.
   */
  analysis?: unknown;
}

export interface Pass {
  readonly name: string;
  /** One line for `--help` and `sparoa passes`. */
  readonly description: string;
  /** Passes whose results must be valid first; the manager schedules them when missing. */
  readonly requires?: readonly string[];
  /** Analyses still valid after this pass changes the IR ("all" for analyses that only annotate). */
  readonly preserves?: readonly string[] | "all";
  run(model: Model, context: PassContext): PassResult | Promise<PassResult>;
}

/** Options a pass accepts in a pipeline string: `cost{dtype=f16}`. */
export type PassOptions = Readonly<Record<string, string>>;

export type PassFactory = (options: PassOptions) => Pass;

/**
 * Reports progress of long work inside a pass (`done` of `total` steps under `label`); the CLI
 * draws it as a progress bar. Passes must not import the CLI, so it arrives through the context.
 */
export type ProgressHook = (label: string, done: number, total: number) => void;

/** Handed to a running pass: its options, a log, and where it is (for error reports). */
export class PassContext {
  /** The node the pass is working on; set through `at()` so failures can name it. */
  currentNode: Node | null = null;
  readonly messages: string[] = [];

  constructor(readonly options: PassOptions = {}, readonly progress: ProgressHook = () => {}, private readonly analyses: (pass: string) => unknown = () => undefined) {}

  /** The `analysis` result of pass `name` when it ran earlier and is still valid. */
  analysis(name: string): unknown {
    return this.analyses(name);
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
