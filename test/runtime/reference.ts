// Plain onnxruntime on the whole model: the oracle the runtime's outputs are compared with.
import * as ort from "onnxruntime-node";
import { expect } from "chai";

export async function plainRun(model: string | Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = typeof model === "string"
    ? await ort.InferenceSession.create(model, { logSeverityLevel: 3 })
    : await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

/** allclose with the tolerances (rtol 1e-4, atol 1e-5), naming the first mismatch. */
export function expectClose(actual: Record<string, ort.Tensor>, expected: Record<string, ort.Tensor>, rtol = 1e-4, atol = 1e-5, label = ""): void {
  expect(Object.keys(actual).sort(), `${label} output names`).to.deep.equal(Object.keys(expected).sort());
  for (const [name, e] of Object.entries(expected)) {
    const a = actual[name]!;
    expect(a.type, `${label} ${name} type`).to.equal(e.type);
    expect([...a.dims], `${label} ${name} dims`).to.deep.equal([...e.dims]);
    const x = a.data as ArrayLike<number | bigint>;
    const y = e.data as ArrayLike<number | bigint>;
    for (let i = 0; i < y.length; i++) {
      const p = Number(x[i]);
      const q = Number(y[i]);
      if (p === q || (Number.isNaN(p) && Number.isNaN(q))) continue;
      if (!(Math.abs(p - q) <= atol + rtol * Math.abs(q))) expect.fail(`${label} output '${name}'[${i}]: ${p} vs ${q} (rtol ${rtol}, atol ${atol})`);
    }
  }
}
