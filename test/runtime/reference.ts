// Plain onnxruntime on the whole model: the oracle the runtime's outputs are compared with.
import * as ort from "onnxruntime-node";
import { expect } from "chai";
import { compareTensors, fromOrtTensor } from "../../ort/tensor-bridge.ts";
import { runOrtSession } from "../support/ort-run.ts";

export async function plainRun(model: string | Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  return (await runOrtSession(model, feeds)).outputs;
}

/** allclose with the issue's tolerances (rtol 1e-4, atol 1e-5), naming the first mismatch. */
export function expectClose(actual: Record<string, ort.Tensor>, expected: Record<string, ort.Tensor>, rtol = 1e-4, atol = 1e-5, label = ""): void {
  expect(Object.keys(actual).sort(), `${label} output names`).to.deep.equal(Object.keys(expected).sort());
  for (const [name, e] of Object.entries(expected)) {
    const c = compareTensors(fromOrtTensor(name, actual[name]!), fromOrtTensor(name, e), rtol, atol);
    if (!c.ok) expect.fail(`${label} output '${name}': ${c.reason ?? `[${c.first!.index}] ${c.first!.actual} vs ${c.first!.expected}`} (rtol ${rtol}, atol ${atol})`);
  }
}
