// An equality test proves something only when the outputs it compares depend on the inputs:
// the light corpus models as shipped (every weight 0.02) output the same constant whatever the
// input, so a swapped tensor or a mis-wired partition would still "match". Tests that compare
// outputs first show that two different inputs give different outputs.
import { expect } from "chai";
import type * as ort from "onnxruntime-node";
import { compareTensors, fromOrtTensor } from "../../ort/tensor-bridge.ts";

/** Names of the outputs that agree (within rtol/atol) between two runs on different inputs. */
export function insensitiveOutputs(a: Record<string, ort.Tensor>, b: Record<string, ort.Tensor>, rtol: number, atol: number): string[] {
  return Object.keys(a).filter((name) => b[name] && compareTensors(fromOrtTensor(name, a[name]!), fromOrtTensor(name, b[name]!), rtol, atol).ok);
}

/** Refuses to go on comparing when any output of runs on two different inputs is the same within the comparison's tolerances. */
export function expectInputDependent(a: Record<string, ort.Tensor>, b: Record<string, ort.Tensor>, rtol: number, atol: number, label: string): void {
  expect(Object.keys(a), `${label}: no outputs to compare`).to.not.be.empty;
  const same = insensitiveOutputs(a, b, rtol, atol);
  expect(same, `${label}: outputs equal for two different inputs (rtol ${rtol}, atol ${atol}); comparing them would prove nothing`).to.deep.equal([]);
}
