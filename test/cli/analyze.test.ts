// `sparoa analyze` end to end: the table, the JSON fields, the SVG, and one-line errors.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Builder, DataType, Graph, Model, Tensor, saveModel, tensorType } from "../../ir/index.ts";
import { intsAttr } from "../../ir/attribute.ts";
import { lookupPass } from "../../passes/registry.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { npyBytes } from "../../src/io/npy.ts";
import { FIXTURES, PROJECT_ROOT } from "../support/corpus.ts";

registerBuiltinPasses();

function sparoa(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin", "sparoa.js"), ...args], { encoding: "utf8", cwd: PROJECT_ROOT });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Well-formedness: every tag closes in order, attribute values are quoted, no stray '<' or '&' in text. */
function checkXml(text: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/gy;
  let i = text.indexOf("<svg");
  expect(i, "starts with <svg").to.equal(0);
  while (i < text.length) {
    const lt = text.indexOf("<", i);
    const chunk = text.slice(i, lt < 0 ? text.length : lt);
    expect(/&(?!(lt|gt|amp|quot|apos);)/.test(chunk), `stray & near ${chunk.slice(0, 40)}`).to.equal(false);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(text);
    expect(m, `malformed tag at ${text.slice(lt, lt + 60)}`).to.not.equal(null);
    const [whole, close, name, , selfClose] = m!;
    if (close) expect(stack.pop(), `closing </${name}>`).to.equal(name);
    else if (!selfClose) stack.push(name!);
    i = lt + whole.length;
  }
  expect(stack, "unclosed tags").to.deep.equal([]);
}

describe("sparoa analyze", function () {
  const tiny = join(FIXTURES, "tiny-cnn.onnx");
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), "sparoa-analyze-")); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints a row per node, totals and quadrant counts", () => {
    const r = sparoa("analyze", tiny, "--samples", "2");
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.split("\n");
    expect(lines.find((l) => l.startsWith("node "))).to.match(/op\s+output\s+FLOPs\s+bytes\s+FLOP\/B\s+w\.sp\s+act\.in\s+act\.out\s+sparsity\s+quadrant/);
    for (const name of ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "gap", "flatten", "fc"]) {
      expect(lines.some((l) => l.startsWith(`${name} `)), name).to.equal(true);
    }
    expect(r.stdout).to.match(/^totals: 9 nodes, /m);
    expect(r.stdout).to.match(/^ {2}sparse-heavy \d+ {3}sparse-light \d+ {3}dense-heavy \d+ {3}dense-light \d+/m);
  });

  it("--json carries every node's numbers, totals, thresholds and quadrants; --svg draws one point per placeable node", () => {
    const svg = join(dir, "plot.svg");
    const r = sparoa("analyze", tiny, "--json", "--samples", "3", "--seed", "4", "--svg", svg, "--sparsity-threshold", "0.3");
    expect(r.code, r.stderr).to.equal(0);
    const a = JSON.parse(r.stdout);
    expect(a.calibration).to.deep.equal({ source: "generated", samples: 3, seed: 4 });
    expect(a.nodes).to.have.length(9);
    expect(Object.keys(a.nodes[0])).to.include.members(["name", "op", "outputShape", "inputSparsity", "outputSparsity", "sparsity", "costUnknown"]);
    const relu1 = a.nodes.find((n: { name: string }) => n.name === "relu1");
    expect(relu1.outputSparsity).to.be.within(0.3, 0.7);
    expect(a.thresholds.sparsity).to.equal(0.3);
    expect(a.thresholds.source.sparsity).to.equal("flag");
    expect(Object.keys(a.quadrants)).to.deep.equal(["sparse-heavy", "sparse-light", "dense-heavy", "dense-light"]);
    expect(a.totals.nodes).to.equal(9);
    if (lookupPass("cost")) {
      expect(a.nodes.find((n: { name: string }) => n.name === "conv1").flops).to.be.greaterThan(0);
      const placed = a.nodes.filter((n: { quadrant?: string }) => n.quadrant !== undefined).length;
      expect(Object.values(a.quadrants as Record<string, number>).reduce((x, y) => x + y, 0)).to.equal(placed);
    }
    const text = readFileSync(svg, "utf8");
    checkXml(text);
    const drawable = a.nodes.filter((n: { sparsity?: number; intensity?: number }) => n.sparsity !== undefined && (n.intensity ?? 0) > 0).length;
    expect(text.match(/<circle class="point"/g)?.length ?? 0).to.equal(drawable);
    expect(text).to.include("arithmetic intensity");
  });

  it("an operator nobody knows: warns, marks its cost unknown, and analyses the rest", () => {
    const g = new Graph("custom");
    const b = new Builder(g);
    const x = b.input("x", tensorType(DataType.FLOAT, [1, 3, 8, 8]));
    const w = b.initializer(Tensor.fromArray("w", DataType.FLOAT, [4, 3, 3, 3], new Float32Array(108).fill(0.1)));
    const c = b.op1("Conv", [x, w], { name: "conv", attributes: [intsAttr("kernel_shape", [3, 3])] });
    b.output(b.op1("Relu", [b.op1("Mystery", [c], { name: "mystery", domain: "com.example" })], { name: "relu" }));
    const path = join(dir, "custom.onnx");
    saveModel(new Model(g, { irVersion: 8, opsets: { "": 13, "com.example": 1 } }), path);
    const r = sparoa("analyze", path, "--json", "--samples", "1");
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/warning: activation-sparsity: activation sparsity skipped: onnxruntime cannot run the model/);
    const a = JSON.parse(r.stdout);
    expect(a.nodes.map((n: { name: string }) => n.name)).to.deep.equal(["conv", "mystery", "relu"]);
    if (lookupPass("cost")) {
      expect(r.stderr).to.match(/cost unknown for 1 com\.example\.Mystery node|Mystery/);
      expect(a.nodes[1].costUnknown).to.equal(true);
      expect(a.nodes[0].flops).to.equal(2 * 4 * 6 * 6 * 27);
    }
  });

  it("rejects calibration files with a wrong name, element type or shape in one line, writing nothing", () => {
    const f64 = join(dir, "f64.npy");
    writeFileSync(f64, npyBytes(Tensor.fromArray("x", DataType.DOUBLE, [1, 3, 32, 32], new Float64Array(3 * 32 * 32))));
    const small = join(dir, "small.npy");
    writeFileSync(small, npyBytes(Tensor.fromArray("x", DataType.FLOAT, [1, 3, 8, 8], new Float32Array(3 * 64))));
    const svg = join(dir, "never.svg");
    const cases: [string, RegExp][] = [
      [`imagee=${small}`, /calibration input 'imagee' is not an input of the model \(did you mean 'image'\?\)/],
      [`image=${f64}`, /calibration input 'image' \(.*f64\.npy\): element type f64, expected f32\[1,3,32,32\]/],
      [`image=${small}`, /calibration input 'image' \(.*small\.npy\): shape \[1,3,8,8\], expected f32\[1,3,32,32\]/],
    ];
    for (const [flag, message] of cases) {
      const r = sparoa("analyze", tiny, "--calibration", flag, "--svg", svg);
      expect(r.code).to.equal(1);
      expect(r.stderr.trim().split("\n"), r.stderr).to.have.length(1);
      expect(r.stderr).to.match(message);
      expect(r.stdout).to.equal("");
    }
    expect(existsSync(svg)).to.equal(false);
  });

  it("rejects --input-shape for an input that does not exist, and binds one that does", () => {
    const bad = sparoa("analyze", join(FIXTURES, "two-branch.onnx"), "--input-shape", "y=4x256");
    expect(bad.code).to.equal(1);
    expect(bad.stderr.trim()).to.match(/^sparoa: error: --input-shape names 'y', which is not an input of the model.*inputs: x$/);
    const good = sparoa("analyze", join(FIXTURES, "two-branch.onnx"), "--input-shape", "x=4x256", "--samples", "1", "--json");
    expect(good.code, good.stderr).to.equal(0);
    const a = JSON.parse(good.stdout);
    expect(a.nodes.some((n: { inputSparsity?: number }) => n.inputSparsity !== undefined)).to.equal(true);
  });
});
