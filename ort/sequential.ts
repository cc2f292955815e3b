// Partitions run one after another in this thread, each fed from the model inputs and the tensors
// earlier ones produced: what `optimize --check` runs a package with (it checks the cut, not the
// runtime) and the benchmarks' floor under the runtime (plain sessions in sequence). The runtime
// itself runs partitions in processor workers (src/runtime).
import type * as ort from "onnxruntime-node";

export interface SequentialPart {
  /** Names the part in messages: "partition 3". */
  label: string;
  inputs: readonly string[];
  /** The outputs later parts or the caller read (default: every output the session returns). */
  outputs?: readonly string[];
  /** An open session, or one to open just before this part runs and release right after (one session alive at a time). */
  session: ort.InferenceSession | (() => Promise<ort.InferenceSession>);
}

export interface SequentialRun {
  /** The feeds and every part's outputs, by name. */
  values: Map<string, ort.Tensor>;
  /** Milliseconds of each part's `run` (session creation excluded). */
  ms: number[];
}

/** Runs `parts` in order; `afterPart(i)` once part i has run. */
export async function runInSequence(parts: readonly SequentialPart[], feeds: ReadonlyMap<string, ort.Tensor> | Readonly<Record<string, ort.Tensor>>,
  afterPart: (index: number) => void = () => {}): Promise<SequentialRun> {
  const values = new Map(feeds instanceof Map ? feeds : Object.entries(feeds));
  const ms: number[] = [];
  for (const [i, part] of parts.entries()) {
    const opened = typeof part.session === "function";
    const session = typeof part.session === "function" ? await part.session() : part.session;
    try {
      const input = feedsFor(values, part.inputs, part.label);
      const start = performance.now();
      const out = await session.run(input);
      ms.push(performance.now() - start);
      for (const n of part.outputs ?? Object.keys(out)) values.set(n, out[n]!);
    } finally {
      if (opened) await session.release();
    }
    afterPart(i);
  }
  return { values, ms };
}

/** The feeds `who` reads, by name, from `values`; a missing one is an error naming both. */
export function feedsFor(values: ReadonlyMap<string, ort.Tensor>, names: readonly string[], who: string): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of names) {
    const t = values.get(name);
    if (!t) throw new Error(`${who} needs '${name}', which no model input or earlier partition provides`);
    feeds[name] = t;
  }
  return feeds;
}
