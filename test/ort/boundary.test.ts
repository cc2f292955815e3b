// The onnxruntime boundary (ort/): the only code that loads onnxruntime-node, and low enough for
// passes/ and src/ to import (it imports ir/ only). Elsewhere onnxruntime is a type at most:
// sessions come from ort/session.mjs, tensors from ort/tensor-bridge.ts and ort/wire.mjs. These read
// the import lines of every source file, so a new direct use fails here with its file named.
import { expect } from "chai";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { PROJECT_ROOT } from "../support/corpus.ts";
import { float16Value } from "../../ir/tensor.ts";
import { openSession } from "../../ort/session.mjs";
import { fromOrtTensor, toOrtTensor } from "../../ort/tensor-bridge.ts";
import { Tensor } from "../../ir/tensor.ts";
import { DataType } from "../../ir/dtype.ts";
import { probeModelBytes } from "../../ort/providers.ts";

const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
  const p = join(dir, f);
  return statSync(p).isDirectory() ? walk(p) : /\.(m?ts|mjs)$/.test(f) ? [p] : [];
});

/** Every import statement of a file (value and type imports, JSDoc `@import` included), with its specifier. */
function imports(file: string): { line: string; spec: string; typeOnly: boolean }[] {
  const text = readFileSync(file, "utf8");
  const out: { line: string; spec: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(/^\s*(?:\/\*\*\s*)?(@?import|export)\b([^;]*?)\bfrom\s*["']([^"']+)["']/gm)) {
    out.push({ line: m[0].trim(), spec: m[3]!, typeOnly: m[1] === "@import" || /^\s*type\b/.test(m[2]!) });
  }
  for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) out.push({ line: m[0], spec: m[1]!, typeOnly: false });
  return out;
}

const SOURCES = ["ir", "passes", "src", "ort"].flatMap((d) => walk(join(PROJECT_ROOT, d)));

describe("the onnxruntime boundary (ort/)", () => {
  it("is the only code that loads onnxruntime-node; elsewhere it is a type at most", () => {
    const offenders = SOURCES.filter((f) => !relative(PROJECT_ROOT, f).startsWith("ort/"))
      .flatMap((f) => imports(f).filter((i) => i.spec === "onnxruntime-node" && !i.typeOnly).map((i) => `${relative(PROJECT_ROOT, f)}: ${i.line}`));
    expect(offenders).to.deep.equal([]);
  });

  it("imports ir/ and itself only, so passes/ and src/ may both import it", () => {
    const offenders = walk(join(PROJECT_ROOT, "ort")).flatMap((f) => imports(f).filter((i) => i.spec.startsWith("."))
      .map((i) => relative(PROJECT_ROOT, resolve(dirname(f), i.spec)))
      .filter((target) => !target.startsWith("ir/") && !target.startsWith("ort/") && target !== "ir")
      .map((target) => `${relative(PROJECT_ROOT, f)} -> ${target}`));
    expect(offenders).to.deep.equal([]);
  });

  it("passes/ reach onnxruntime through ort/, not through the runtime, the package writer or the profiler", () => {
    const offenders = walk(join(PROJECT_ROOT, "passes")).flatMap((f) => imports(f).filter((i) => i.spec.startsWith("."))
      .map((i) => relative(PROJECT_ROOT, resolve(dirname(f), i.spec)))
      .filter((target) => /^src\/(runtime|package|profiler)\//.test(target))
      .map((target) => `${relative(PROJECT_ROOT, f)} -> ${target}`));
    expect(offenders).to.deep.equal([]);
  });

  it("runs the probe model, and float16 crosses it bit for bit: IR -> onnxruntime -> IR, decoded by the one decoder", async () => {
    const session = await openSession(probeModelBytes(), { logSeverityLevel: 3 });
    try {
      const x = Tensor.fromArray("x", DataType.FLOAT, [1], new Float32Array([-2.5]));
      const y = fromOrtTensor("y", (await session.run({ x: toOrtTensor(x) }))[session.outputNames[0]!]!);
      expect(y.toNumbers()).to.deep.equal([-2.5]);
    } finally {
      await session.release();
    }
    // 0x3c00 = 1, 0xc000 = -2, 0x0001 = the smallest subnormal, 0x7c00 = +inf (IEEE 754 binary16).
    const bits = Tensor.fromBytes("h", DataType.FLOAT16, [4], new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00]).buffer));
    expect(fromOrtTensor("h", toOrtTensor(bits)).toNumbers()).to.deep.equal([1, -2, 2 ** -24, Infinity]);
    expect(float16Value(0x7e00)).to.be.NaN;
  });
});
