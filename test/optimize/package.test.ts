// Partition + emit + check with device labels assigned by hand or at random: every partition
// model loads in onnxruntime on its own, the package reproduces the original's outputs
// exactly with graph optimisations off (and within rtol 1e-4 / atol 1e-5 with them on), and
// the annotated whole model loads and carries its sparoa.* metadata_props.
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DataType, Tensor, loadModel, saveModel, type Model } from "../../ir/index.ts";
import { decodeModel } from "../../ir/onnx/proto.ts";
import { seededRandom } from "../../ir/random.ts";
import { NodeKey } from "../../ir/annotation-keys.ts";
import { applyPartitions, assignPartitions } from "../../passes/partition.ts";
import { dynamicInputs, inferShapes, parseInputShapes } from "../../passes/shape-inference.ts";
import { checkPackage, type CheckOptions } from "../../src/package/check.ts";
import { checkInputs } from "../../src/package/check-inputs.ts";
import { dataInputs, EMIT_IR_VERSION } from "../../src/package/emit.ts";
import { packageModel } from "../../src/package/package-model.ts";
import { PACKAGE_SCHEMA, type PackageManifest } from "../../src/package/manifest.ts";
import { writeFolderAtomic } from "../../src/package/write.ts";
import { capturingIfModel, randomDagModel } from "../support/random-dag.ts";

const EXACT: CheckOptions = { rtol: 0, atol: 0, optimization: "disabled" };


const work = mkdtempSync(join(tmpdir(), "sparoa-package-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** The optimize flow with hand-made labels: label and partition a (bound) copy, cut the file's own model. */
async function emit(file: string, name: string, label: (m: Model) => void, shapes?: string): Promise<{ dir: string; manifest: PackageManifest; analysed: Model }> {
  const analysed = loadModel(file);
  if (shapes) {
    inferShapes(analysed, { inputShapes: parseInputShapes(shapes) });
    expect(dynamicInputs(analysed)).to.deep.equal([]);
  }
  label(analysed);
  applyPartitions(analysed.graph, assignPartitions(analysed.graph));
  const { files } = await packageModel(analysed, { profile: "hand-labelled" }, shapes !== undefined ? loadModel(file) : undefined);
  const dir = join(work, name);
  writeFolderAtomic(dir, files.files);
  return { dir, manifest: files.manifest, analysed };
}

/** Copies the labels of the model built in memory onto its load, node by node (built and saved: same order). */
const keepLabels = (labelled: Model) => (m: Model) => {
  const source = [...labelled.graph.allNodes()];
  [...m.graph.allNodes()].forEach((n, i) => { for (const [k, a] of source[i]!.annotations) n.annotations.set(k, a); });
};

function labelRandomly(model: Model, seed: number): void {
  const rand = seededRandom(seed);
  for (const n of model.graph.nodes) n.annotations.set(NodeKey.processor, rand() < 0.5 ? "cpu" : "gpu");
}

describe("package emit and --check", () => {
  it("reproduces 12 random DAGs bit-exactly, with constants recomputed per partition", async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const model = randomDagModel({ nodes: 10 + seed * 3, seed, constants: 3 });
      const file = join(work, `dag${seed}.onnx`);
      saveModel(model, file);
      const { dir, manifest } = await emit(file, `dag${seed}`, keepLabels(model));
      const r = await checkPackage(file, dir, checkInputs(dataInputs(model), [], seed), EXACT);
      expect(r.ok, `seed ${seed}: ${JSON.stringify(r.outputs)}`).to.equal(true);
      manifest.partitions.forEach((p, i) => {
        expect(p.id).to.equal(i);
        p.dependsOn.forEach((d) => expect(d).to.be.lessThan(i));
      });
    }
  });

  it("runs an If node's partition with its captured GPU value, both branches", async () => {
    const model = capturingIfModel();
    const file = join(work, "if.onnx");
    saveModel(model, file);
    const { dir, manifest } = await emit(file, "if", keepLabels(model));
    expect(manifest.partitions.map((p) => p.processor)).to.deep.equal(["gpu", "cpu", "gpu"]);
    expect(manifest.boundaries.map((b) => b.name)).to.include("relu_gpu_out0");
    for (const flag of [0, 1]) {
      const inputs = checkInputs(dataInputs(model), [], 3);
      inputs.set("flag", Tensor.fromArray("flag", DataType.BOOL, [], Uint8Array.of(flag)));
      const r = await checkPackage(file, dir, inputs, EXACT);
      expect(r.ok, JSON.stringify(r.outputs)).to.equal(true);
    }
  });

  it("writes a manifest per sparoa.package.v1 and an annotated model with sparoa.* metadata_props at IR >= 10", async () => {
    const { dir, manifest } = await emit("fixtures/tiny-cnn.onnx", "tiny", (m) => labelRandomly(m, 4));
    const onDisk = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as PackageManifest;
    expect(onDisk).to.deep.equal(manifest);
    expect(onDisk.schema).to.equal(PACKAGE_SCHEMA);
    expect(onDisk.source.inputs).to.deep.equal([{ name: "image", dtype: "f32", shape: [1, 3, 32, 32] }]);
    for (const b of onDisk.boundaries) {
      expect(onDisk.partitions[b.from]!.outputs).to.include(b.name);
      for (const t of b.to) {
        expect(onDisk.partitions[t]!.inputs).to.include(b.name);
        expect(onDisk.partitions[t]!.processor).to.not.equal(onDisk.partitions[b.from]!.processor);
      }
    }
    const annotated = decodeModel(readFileSync(join(dir, onDisk.annotatedModel!)));
    expect(Number(annotated.irVersion)).to.be.at.least(EMIT_IR_VERSION);
    for (const n of annotated.graph!.node) {
      const meta = Object.fromEntries(n.metadataProps.map((e) => [e.key, e.value]));
      expect(meta["sparoa.processor"], n.name).to.be.oneOf(["cpu", "gpu"]);
      expect(Number(meta["sparoa.partition"]), n.name).to.be.at.least(0);
    }
    const partition = decodeModel(readFileSync(join(dir, onDisk.partitions[0]!.file)));
    expect(partition.graph!.input.every((i) => i.type !== undefined)).to.equal(true);
  });

  it("reports a mismatch when the package computes something else (weights tampered with)", async () => {
    const { dir, analysed } = await emit("fixtures/tiny-cnn.onnx", "tampered", (m) => labelRandomly(m, 4));
    const weights = join(dir, "partitions", "weights.bin");
    const bytes = readFileSync(weights);
    bytes.fill(0, 0, Math.min(bytes.length, 4096));
    writeFileSync(weights, bytes);
    const r = await checkPackage("fixtures/tiny-cnn.onnx", dir, checkInputs(dataInputs(analysed), [], 1), EXACT);
    expect(r.ok).to.equal(false);
    const bad = r.outputs.find((o) => !o.ok)!;
    expect(bad.maxAbs).to.be.greaterThan(0);
    expect(bad.reason).to.match(/first mismatch at element \d+/);
  });
});
