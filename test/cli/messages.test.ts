// Issue 15's "messages and details", each checked on the real command: what was typed is quoted,
// output folders are made before the work (or the command fails before it), the README and
// --help agree, --check-input NAME=NUMBER fills the input, the pipeline grammar is in
// `passes --help`, annotating passes are not "(no change)", the analyze table keeps long names
// apart and leaves constants out, and speedups read from the plan's side.
import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Builder, DataType, Graph, Model, Tensor, saveModel, tensorType } from "../../ir/index.ts";
import { middleEllipsis } from "../../src/report/ellipsis.ts";
import { planVersus } from "../../src/optimize/report.ts";
import { FIXTURES, PROJECT_ROOT } from "../support/corpus.ts";
import { runAll, runSparoa } from "../support/sparoa-cli.ts";

const TINY = join(FIXTURES, "tiny-cnn.onnx");
const RESNET_N = join(FIXTURES, "tiny-resnet-n.onnx");

/** Two MatMuls whose long names differ only near the end, and an Add of two weights (a constant node). */
function longNames(): Model {
  const g = new Graph("g");
  const b = new Builder(g);
  const x = b.input("x", tensorType(DataType.FLOAT, [1, 4]));
  const w = (name: string) => b.initializer(Tensor.fromArray(name, DataType.FLOAT, [4, 4], new Float32Array(16).fill(0.25)));
  const folded = b.op1("Add", [w("w.a"), w("w.b")], { name: "weights_sum" });
  let h = b.op1("MatMul", [x, folded], { name: "encoder.layers.10.self_attention.output.dense.matmul" });
  h = b.op1("MatMul", [h, w("w.c")], { name: "encoder.layers.11.self_attention.output.dense.matmul" });
  h.name = "y";
  b.output(h);
  return new Model(g, { irVersion: 8, opsets: { "": 13 } });
}

describe("sparoa CLI: messages and details", () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), "sparoa-msg-")); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("quotes a mistyped --input-shape whole and shows the fix", async () => {
    const r = await runSparoa(["analyze", join(FIXTURES, "two-branch.onnx"), "--input-shape", "x=64,256"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.equal("sparoa: error: --input-shape 'x=64,256': '256' names no input; dims are separated by 'x' (x=64x256), inputs by ';'\n");
  });

  it("-o, --svg and --trace create missing folders, or fail before any work", async () => {
    const blocker = join(dir, "a-file");
    writeFileSync(blocker, "");
    const [inspect, svg, trace, bad] = await runAll([
      () => runSparoa(["inspect", TINY, "-o", join(dir, "new", "deep", "m.txt")]),
      () => runSparoa(["analyze", TINY, "--samples", "1", "--svg", join(dir, "plots", "m.svg")]),
      () => runSparoa(["plan", TINY, "--device", "orin-nano", "--search-ms", "100", "--trace", join(dir, "traces", "t.json")]),
      () => runSparoa(["analyze", TINY, "--svg", join(blocker, "m.svg")]),
    ]);
    for (const r of [inspect, svg, trace]) expect(r!.code, r!.stderr).to.equal(0);
    expect(readFileSync(join(dir, "new", "deep", "m.txt"), "utf8")).to.contain("graph @tiny_cnn");
    expect(readFileSync(join(dir, "plots", "m.svg"), "utf8")).to.match(/^<svg/);
    expect(JSON.parse(readFileSync(join(dir, "traces", "t.json"), "utf8"))).to.be.an("object");
    expect(bad!.code).to.equal(1);
    // Failed before the analysis: no table on stdout.
    expect(bad!.stdout).to.equal("");
    expect(bad!.stderr).to.match(/^sparoa: error: --svg .*a-file\/m\.svg: cannot write there \(.*a-file is a file, not a folder\)\n$/);
  });

  it("the README and convert --help state the same external-data threshold default", async () => {
    const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");
    const row = readme.split("\n").find((l) => l.startsWith("| `sparoa convert"))!;
    const help = (await runSparoa(["convert", "--help"])).stdout;
    const readmeDefault = /threshold, default (\d+ ?[KMG]B)/.exec(row)?.[1];
    expect(readmeDefault, row).to.be.a("string");
    expect(help.replace(/\s+/g, " ")).to.contain(`threshold ${readmeDefault!.replace(/(\d)([KMG]B)/, "$1 $2")} unless given`);
  });

  it("--check-input NAME=NUMBER fills the input's shape", async () => {
    const r = await runSparoa(["optimize", RESNET_N, "-o", join(dir, "pkg"), "--no-calibrate", "--check", "--check-input", "input=0.5"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/check: passed/);
  });

  it("`passes --help` gives the pass{key=value} syntax; an annotating pass is printed as such, not as (no change)", async () => {
    const [help, printed] = await runAll([
      () => runSparoa(["passes", "--help"]),
      () => runSparoa(["inspect", TINY, "--passes", "cost", "--print-ir-after-change"]),
    ]);
    expect(help!.stdout).to.contain("pass{key=value}");
    expect(help!.stdout).to.contain("shape-inference{input-shape=x=1x3x224x224},cost");
    expect(printed!.stderr).to.contain("// -----// IR Dump After cost (annotations only) //----- //");
    expect(printed!.stderr).to.not.contain("(no change)");
  });

  it("analyze keeps long names apart with a middle ellipsis and leaves constant nodes out unless --constants", async () => {
    expect(middleEllipsis("encoder.layers.10.self_attention.output.dense.matmul", 21)).to.equal("encoder.la…nse.matmul");
    const path = join(dir, "long.onnx");
    saveModel(longNames(), path);
    const [plain, all] = await runAll([
      () => runSparoa(["analyze", path, "--samples", "1"]),
      () => runSparoa(["analyze", path, "--samples", "1", "--constants"]),
    ]);
    expect(plain!.code, plain!.stderr).to.equal(0);
    const names = plain!.stdout.split("\n").filter((l) => l.includes("MatMul")).map((l) => l.split(/\s+/)[0]);
    expect(names).to.have.length(2);
    expect(names[0]).to.not.equal(names[1]);
    for (const n of names) expect(n).to.contain("…");
    expect(plain!.stdout).to.not.contain("weights_sum");
    expect(plain!.stdout).to.contain("1 constant node(s) not shown");
    expect(all!.stdout).to.contain("weights_sum");
  });

  it("long work shows progress lines on stderr when it is not a terminal", async () => {
    // The interval is 5 s by default; 0 prints a line per step, so a short run shows them all.
    const r = await runSparoa(["analyze", TINY, "--samples", "3", "--json"], PROJECT_ROOT, { SPAROA_PROGRESS_SECONDS: "0" });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr.split("\n").filter((l) => /^sparoa: activation sparsity: \d\/3 after [\d.]+ s$/.test(l))).to.have.length(3);
    expect(() => JSON.parse(r.stdout)).to.not.throw();
  });

  it("speedups read from the plan's side", async () => {
    expect(planVersus(3.72)).to.equal("the plan is 3.72x faster");
    expect(planVersus(0.5)).to.equal("the plan is 2.00x slower");
    expect(planVersus(1)).to.equal("the plan is as fast");
    const r = await runSparoa(["optimize", TINY, "-o", join(dir, "pkg2"), "--no-calibrate"]);
    expect(r.stdout).to.match(/cpu-only [\d.]+ ms \(the plan is (as fast|[\d.]+x (faster|slower))\)/);
    expect(r.stdout).to.not.contain("speedup");
    expect(existsSync(join(dir, "pkg2", "manifest.json"))).to.equal(true);
  });
});
