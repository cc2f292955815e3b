// Shared by the runtime tests: the two-branch fixture annotated for two devices, and awaiting
// a promise that must reject.
import { join } from "node:path";
import { loadModel, type Model } from "../../ir/index.ts";
import { FIXTURES } from "./corpus.ts";

/** fixtures/two-branch.onnx with its right branch on "gpu", everything else on "cpu". */
export function annotatedTwoBranch(): Model {
  const m = loadModel(join(FIXTURES, "two-branch.onnx"));
  for (const n of m.graph.nodes) n.metadata.set("sparoa.processor", n.name.startsWith("right") ? "gpu" : "cpu");
  return m;
}

/** The error `p` rejects with; fails when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}
