// The model zoo generator: every family builds models that are valid, fully shape-inferable and
// run in onnxruntime with finite, input-dependent outputs; pruning zeroes what it says; the
// generator is deterministic from its seed; the held-out split is fixed; the CLI writes a zoo.
import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModel, modelBytes, verifyModel, type Model, type Tensor } from "../../ir/index.ts";
import { seededRandom } from "../../ir/random.ts";
import { inferShapes } from "../../passes/shape-inference.ts";
import { ACTIVATIONS, HELD_OUT_FAMILIES, HELD_OUT_SIZES, PRUNING_KINDS, ZOO_FAMILIES, ZOO_PRESETS, generateZooModel, readZoo, sampleZooSpec, splitOf, writeZoo, ZOO_SPEC_KEY, ZooError, zooModelStats, type ZooManifest, type ZooSpec } from "../../src/zoo/index.ts";
import { convLayout, matmulLayout, prune } from "../../src/zoo/prune.ts";
import { coverage } from "../support/shape-agreement.ts";
import { randomFeeds, runOrt } from "../support/ort-run.ts";
import { runSparoa } from "../support/sparoa-cli.ts";

/** Two variants per family that between them use every activation, pruning kind and transformer form. */
function smallSpecs(): { name: string; spec: ZooSpec }[] {
  return ZOO_FAMILIES.flatMap((family, f) => [0, 1].map((v) => {
    const k = 2 * f + v;
    const spec = sampleZooSpec(seededRandom(100 + k), { family, size: "small" });
    spec.activation = ACTIVATIONS[k % ACTIVATIONS.length]!;
    const kind = PRUNING_KINDS[k % PRUNING_KINDS.length]!;
    spec.pruning = { kind, level: kind === "none" ? 0 : 0.5 };
    if ("heads" in spec.params) spec.params.heads = v === 0 ? "batched" : "per-head";
    if ("layerNorm" in spec.params) spec.params.layerNorm = v === 0 ? "fused" : "decomposed";
    return { name: `${family} #${v} (${spec.activation}, ${kind})`, spec };
  }));
}

const DENSE = new Set(["stem.weight", "patch_embed.weight", "fc.weight", "head.weight"]);

/** Zero fraction of each Conv/MatMul weight except the dense stem and classifier. */
function prunedLayerZeroFractions(model: Model): [string, number][] {
  return [...model.graph.initializers.values()]
    .filter((v) => !DENSE.has(v.name) && v.uses.some((u) => u.index === 1 && (u.node.opType === "Conv" || u.node.opType === "MatMul")))
    .map((v) => { const w = v.initializer!.toArray() as Float32Array; return [v.name, w.filter((x) => x === 0).length / w.length]; });
}

const values = (t: Tensor): Float32Array => t.toArray() as Float32Array;

function checkStructure(model: Model): void {
  expect(verifyModel(model)).to.deep.equal([]);
  const warnings: string[] = [];
  inferShapes(model, { warn: (w) => warnings.push(w) });
  expect(warnings).to.deep.equal([]);
  expect(coverage(model)).to.equal(1);
}

describe("zoo: generated models", function () {
  for (const { name, spec } of smallSpecs()) {
    it(`${name}: valid, fully shape-inferred, runs in onnxruntime with input-dependent outputs`, async () => {
      const model = generateZooModel(spec);
      checkStructure(model);
      const logits = model.graph.outputs[0]!;
      expect(logits.type).to.deep.include({ kind: "tensor" });
      const bytes = modelBytes(model);
      const [a] = await runOrt(bytes, randomFeeds(model, 1));
      const [b] = await runOrt(bytes, randomFeeds(model, 2));
      expect(a!.dims).to.deep.equal([1, spec.classes]);
      const x = values(a!);
      const y = values(b!);
      expect(x.every(Number.isFinite), "finite").to.equal(true);
      // Non-degenerate: the classes differ from each other, and another input changes them.
      const mean = x.reduce((s, v) => s + v, 0) / x.length;
      const spread = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length);
      expect(spread).to.be.greaterThan(1e-3);
      const change = Math.max(...x.map((v, i) => Math.abs(v - y[i]!)));
      expect(change, "output change between two inputs").to.be.greaterThan(1e-5 * spread);
      // Every pruned layer (all but the stem and the classifier) lost about half its weights.
      const fractions = prunedLayerZeroFractions(model);
      expect(fractions.length).to.be.greaterThan(1);
      for (const [name, zeros] of fractions) {
        if (spec.pruning.kind === "none") expect(zeros, name).to.equal(0);
        else expect(zeros, name).to.be.within(spec.pruning.kind === "unstructured" ? 0.45 : 0.3, 0.55);
      }
      expect(zooModelStats(model).weightZeroFraction > 0).to.equal(spec.pruning.kind !== "none");
    });
  }

  it("vit-large: 12 layers with >= 1,000 placeable nodes, valid and fully shape-inferred", () => {
    const spec = ZOO_PRESETS["vit-large"](0);
    const model = generateZooModel(spec);
    const stats = zooModelStats(model);
    expect(stats.placeableNodes).to.be.at.least(1000);
    expect(stats.ops.LayerNormalization ?? 0).to.equal(0); // decomposed form
    expect(stats.ops.Softmax).to.equal(12 * 8); // 12 layers x 8 heads, unrolled
    checkStructure(model);
  });
});

describe("zoo: pruning", () => {
  // A 3-output x 8-reduction Conv-layout matrix with distinct magnitudes 1..24.
  const data = () => Float32Array.from({ length: 24 }, (_, i) => (i % 2 ? -1 : 1) * (i + 1));

  it("unstructured zeroes exactly the lowest-magnitude fraction", () => {
    const w = data();
    prune(w, convLayout([3, 8, 1, 1]), { kind: "unstructured", level: 0.25 });
    expect(Array.from(w, (v) => v === 0)).to.deep.equal(Array.from({ length: 24 }, (_, i) => i < 6));
  });

  it("channel zeroes whole outputs: Conv rows, MatMul columns", () => {
    const conv = data();
    prune(conv, convLayout([3, 8, 1, 1]), { kind: "channel", level: 0.34 });
    expect(Array.from(conv.subarray(0, 8))).to.deep.equal(new Array(8).fill(0));
    expect(conv.subarray(8).every((v) => v !== 0)).to.equal(true);
    const mm = data(); // [K=8, N=3]: column n is output n; column 0 has the smallest norm
    prune(mm, matmulLayout(8, 3), { kind: "channel", level: 0.34 });
    expect(Array.from(mm, (v, i) => v === 0)).to.deep.equal(Array.from({ length: 24 }, (_, i) => i % 3 === 0));
  });

  it("block1x4 zeroes runs of 4 along one output's reduction axis", () => {
    const mm = data(); // [K=8, N=3]: blocks are rows k..k+3 of one column
    prune(mm, matmulLayout(8, 3), { kind: "block1x4", level: 0.5 });
    // 6 blocks; the 3 smallest are the first 4 rows of each column.
    expect(Array.from(mm, (v) => v === 0)).to.deep.equal(Array.from({ length: 24 }, (_, i) => i < 12));
  });
});

describe("zoo: determinism and the held-out split", function () {
  const dirs: string[] = [];
  const tmp = () => { const d = mkdtempSync(join(tmpdir(), "sparoa-zoo-")); dirs.push(d); return d; };
  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
  const files = (dir: string) => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))]));

  it("the same seed writes byte-identical files; a smaller count is a prefix; another seed differs", () => {
    const options = { seed: 5, sizes: ["small"] as const };
    const a = tmp(), b = tmp(), c = tmp(), d = tmp();
    writeZoo(a, { ...options, count: 8 });
    writeZoo(b, { ...options, count: 8 });
    writeZoo(c, { ...options, count: 4 });
    writeZoo(d, { ...options, seed: 6, count: 8 });
    const fa = files(a);
    expect(Object.keys(fa)).to.have.length(9);
    expect(files(b)).to.deep.equal(fa);
    for (const [name, bytes] of Object.entries(files(c))) if (name !== "zoo.json") expect(bytes, name).to.deep.equal(fa[name]);
    const fd = files(d);
    expect(Object.keys(fd).filter((f) => f !== "zoo.json").some((f) => !fd[f]!.equals(fa[f]!))).to.equal(true);
  });

  it("holds out windowed-attention, channel-shuffle and the large size class, and zoo.json records it", () => {
    expect(HELD_OUT_FAMILIES).to.deep.equal(["windowed-attention", "channel-shuffle"]);
    expect(HELD_OUT_SIZES).to.deep.equal(["large"]);
    expect(splitOf({ family: "vit", size: "medium" })).to.equal("train");
    expect(splitOf({ family: "vit", size: "large" })).to.equal("test");
    expect(splitOf({ family: "channel-shuffle", size: "small" })).to.equal("test");
    const dir = tmp();
    const manifest = writeZoo(dir, { count: 8, seed: 2, sizes: ["small"] });
    const onDisk = JSON.parse(readFileSync(join(dir, "zoo.json"), "utf8")) as ZooManifest;
    expect(onDisk).to.deep.equal(JSON.parse(JSON.stringify(manifest)));
    expect(onDisk.split).to.deep.include({ heldOutFamilies: ["windowed-attention", "channel-shuffle"], heldOutSizes: ["large"] });
    expect(onDisk.models.map((m) => m.file)).to.deep.equal(ZOO_FAMILIES.map((f, i) => `${f}-${i}.onnx`));
    expect(onDisk.models.filter((m) => m.split === "test").map((m) => m.spec.family)).to.deep.equal(["channel-shuffle", "windowed-attention"]);
    // A spec in zoo.json rebuilds its file exactly, and the file carries its spec.
    const entry = onDisk.models[5]!;
    const rebuilt = generateZooModel(entry.spec);
    expect(Buffer.from(modelBytes(rebuilt)).equals(readFileSync(join(dir, entry.file)))).to.equal(true);
    expect(JSON.parse(loadModel(join(dir, entry.file)).metadata.get(ZOO_SPEC_KEY)!)).to.deep.equal(entry.spec);
    // readZoo gives the models back, and names what is wrong with a broken folder.
    expect(readZoo(dir).models.map((m) => m.path)).to.deep.equal(onDisk.models.map((m) => join(dir, m.file)));
    const empty = tmp();
    expect(() => readZoo(empty)).to.throw(ZooError, /no zoo\.json/);
    rmSync(join(dir, entry.file));
    expect(() => readZoo(dir)).to.throw(ZooError, new RegExp(`models\\[5\\] '${entry.file}' is missing`));
  });
});

describe("zoo: the sparoa zoo command", function () {
  let dir = "";
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), "sparoa-zoo-cli-")); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes the models and zoo.json, prints the manifest with --json and progress on stderr", async () => {
    const out = join(dir, "zoo");
    const r = await runSparoa(["zoo", "-o", out, "--count", "3", "--seed", "1", "--families", "vit,mlp-mixer", "--sizes", "small", "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    const manifest = JSON.parse(r.stdout) as ZooManifest;
    expect(manifest.models.map((m) => m.file)).to.deep.equal(["vit-0.onnx", "mlp-mixer-1.onnx", "vit-2.onnx"]);
    expect(readdirSync(out).sort()).to.deep.equal(["mlp-mixer-1.onnx", "vit-0.onnx", "vit-2.onnx", "zoo.json"]);
    expect(r.stderr).to.match(/zoo: 3\/3 vit-2\.onnx/);
  });

  it("rejects an unknown family with one line naming it, writing nothing", async () => {
    const out = join(dir, "zoo");
    const r = await runSparoa(["zoo", "-o", out, "--families", "vit,resnet"]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr.trim().split("\n")).to.have.length(1);
    expect(r.stderr).to.match(/--families: unknown 'resnet'; choose from plain-cnn/);
    expect(existsSync(out)).to.equal(false);
  });
});
