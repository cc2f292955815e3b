// External data: tensors in side files load lazily and only from inside the model's folder,
// saving moves tensors out by threshold or when the model is over the size limit, and
// onnxruntime (reading the side file itself, from the path) computes what the inline model does.
import { expect } from "chai";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModelFileError, loadModel, saveModel } from "../../ir/onnx/file.ts";
import { decodeModel, encodeModel } from "../../ir/onnx/proto.ts";
import { compareTensors } from "../../ort/tensor-bridge.ts";
import { FIXTURES } from "../support/corpus.ts";
import { randomFeeds, runOrt } from "../support/ort-run.ts";

const TINY = join(FIXTURES, "tiny-cnn.onnx");
const TWO_BRANCH = join(FIXTURES, "two-branch.onnx");

/** Rewrites the `location` of every external tensor of the model at `path`. */
function relocate(path: string, location: string): void {
  const proto = decodeModel(readFileSync(path));
  for (const t of proto.graph!.initializer) for (const e of t.externalData) if (e.key === "location") e.value = location;
  writeFileSync(path, encodeModel(proto));
}

async function sameOutputs(a: string | Uint8Array, b: string | Uint8Array, feedsFrom: string): Promise<void> {
  const feeds = randomFeeds(loadModel(feedsFrom));
  const [x, y] = [await runOrt(a, feeds), await runOrt(b, feeds)];
  expect(x.length).to.equal(y.length);
  x.forEach((t, i) => expect(compareTensors(t, y[i]!, 0, 0).ok, `output ${i}`).to.equal(true));
}

describe("external data", () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), "sparoa-ext-")); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

  /** tiny-cnn saved with tensors of >= 1 KB in `<dir>/sub/model.onnx.data`. */
  function externalTiny(): string {
    mkdirSync(join(dir, "sub"));
    const path = join(dir, "sub", "model.onnx");
    const result = saveModel(loadModel(TINY), path, { externalDataThreshold: 1024 });
    expect(result.externalFile).to.equal("model.onnx.data");
    return path;
  }

  it("moves initializers at or over --external-data-threshold to a side file; onnxruntime loads it from the path", async () => {
    const path = externalTiny();
    const model = loadModel(path);
    const external = [...model.graph.initializers.values()].filter((v) => v.initializer!.external);
    // conv1.weight 1.7 KB, conv2.weight 18 KB, fc.weight 1.3 KB go out; the biases (<= 128 B) stay inline.
    expect(external.map((v) => v.name).sort()).to.deep.equal(["conv1.weight", "conv2.weight", "fc.weight"]);
    for (const v of external) expect(v.initializer!.external!.offset % 4096).to.equal(0);
    expect(statSync(path).size).to.be.lessThan(2000);
    expect(statSync(`${path}.data`).size).to.be.greaterThan(20_000);
    await sameOutputs(path, TINY, TINY);
  });

  it("reads external tensors lazily, on first use", () => {
    const path = externalTiny();
    const model = loadModel(path);
    const w = model.graph.initializers.get("fc.weight")!.initializer!;
    // Changing the side file after load shows the bytes were not read at load time.
    const data = readFileSync(`${path}.data`);
    data.fill(0, w.external!.offset, w.external!.offset + w.external!.length);
    writeFileSync(`${path}.data`, data);
    expect(w.toNumbers().every((x) => x === 0)).to.equal(true);
    expect(loadModel(TINY).graph.initializers.get("fc.weight")!.initializer!.toNumbers().some((x) => x !== 0)).to.equal(true);
  });

  it("round-trips: external -> inline and external -> external elsewhere compute the same in onnxruntime", async () => {
    const path = externalTiny();
    const inline = join(dir, "inline.onnx");
    const r1 = saveModel(loadModel(path), inline, { externalDataThreshold: Number.MAX_SAFE_INTEGER });
    expect(r1.externalTensors).to.equal(0);
    expect(existsSync(`${inline}.data`)).to.equal(false);
    expect(readFileSync(inline).equals(readFileSync(TINY))).to.equal(false); // re-encoded, not copied
    await sameOutputs(inline, TINY, TINY);
    // No threshold: tensors stay where they were, so the data is copied into the new folder's side file.
    mkdirSync(join(dir, "other"));
    const moved = join(dir, "other", "m.onnx");
    const r2 = saveModel(loadModel(path), moved, { externalDataFile: "weights.bin" });
    expect(r2).to.include({ externalFile: "weights.bin", externalTensors: 3 });
    rmSync(join(dir, "sub"), { recursive: true }); // the copy must not depend on the original side file
    await sameOutputs(moved, TINY, TINY);
  });

  it("re-saves a model over its own side file without corrupting the tensors still in memory", async () => {
    const path = externalTiny();
    const model = loadModel(path);
    const before = model.graph.initializers.get("conv2.weight")!.initializer!.toNumbers();
    // A lower threshold moves more tensors out, so every offset in the new side file changes.
    const result = saveModel(model, path, { externalDataThreshold: 16 });
    expect(result.externalTensors).to.equal(6);
    expect(model.graph.initializers.get("conv2.weight")!.initializer!.toNumbers()).to.deep.equal(before);
    await sameOutputs(path, TINY, TINY);
    saveModel(model, join(dir, "again.onnx"));
    await sameOutputs(join(dir, "again.onnx"), TINY, TINY);
  });

  it("spills to external data when the model is over the size limit (the 2 GB protobuf limit, lowered for the test)", async () => {
    const path = join(dir, "big.onnx");
    const size = statSync(TWO_BRANCH).size; // ~2 MB of weights
    const result = saveModel(loadModel(TWO_BRANCH), path, { sizeLimit: 1_000_000 });
    expect(result.externalTensors).to.be.greaterThan(0);
    expect(result.bytes).to.be.lessThan(1_000_000);
    expect(statSync(`${path}.data`).size).to.be.greaterThan(size * 0.9);
    await sameOutputs(path, TWO_BRANCH, TWO_BRANCH);
    // Under the limit nothing moves.
    const small = saveModel(loadModel(TWO_BRANCH), join(dir, "small.onnx"), { sizeLimit: 10_000_000 });
    expect(small.externalTensors).to.equal(0);
  });

  it("refuses a model that is over the limit even with its tensors out, leaving no output", () => {
    const path = join(dir, "over.onnx");
    expect(() => saveModel(loadModel(TINY), path, { sizeLimit: 100, externalDataThreshold: 1 })).to.throw(ModelFileError, /over the protobuf limit/);
    expect(existsSync(path)).to.equal(false);
    expect(existsSync(`${path}.data`)).to.equal(false);
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  for (const [what, location, pattern] of [
    ["a location with ../", "../outside.data", /tensor '[\w.]+': external data location '\.\.\/outside\.data' points outside the model's folder/],
    ["an absolute location", "/etc/passwd", /tensor '[\w.]+': external data location '\/etc\/passwd' is absolute/],
    ["a location hidden under a subfolder that climbs out", "x/../../outside.data", /points outside the model's folder/],
  ] as const) {
    it(`refuses ${what}, naming the file and the tensor`, () => {
      const path = externalTiny();
      copyFileSync(`${path}.data`, join(dir, "outside.data")); // present, so only the rule can refuse it
      relocate(path, location);
      expect(() => loadModel(path)).to.throw(ModelFileError).that.satisfies((e: Error) => {
        expect(e.message).to.match(pattern);
        expect(e.message.startsWith(path)).to.equal(true);
        expect(e.message).to.not.include("\n");
        return true;
      });
    });
  }

  it("refuses a symlink inside the folder that points outside it", () => {
    const path = externalTiny();
    copyFileSync(`${path}.data`, join(dir, "outside.data"));
    symlinkSync(join(dir, "outside.data"), join(dir, "sub", "link.data"));
    relocate(path, "link.data");
    expect(() => loadModel(path)).to.throw(ModelFileError, /external data location 'link\.data' resolves \(through a link\) outside the model's folder/);
    // A link that stays inside the folder is fine.
    symlinkSync(join(dir, "sub", "model.onnx.data"), join(dir, "sub", "inside.data"));
    relocate(path, "inside.data");
    expect(loadModel(path).graph.initializers.get("fc.weight")!.initializer!.toNumbers()).to.have.length(320);
  });

  it("names the tensor when the side file is missing or too short, in one line", () => {
    const path = externalTiny();
    truncateSync(`${path}.data`, 100);
    expect(() => loadModel(path)).to.throw(ModelFileError, /^.*model\.onnx: tensor 'conv1\.weight': external data 'model\.onnx\.data' is 100 bytes, too short/);
    rmSync(`${path}.data`);
    expect(() => loadModel(path)).to.throw(ModelFileError, /model\.onnx: tensor 'conv1\.weight': external data location 'model\.onnx\.data' does not exist/);
  });

  it("refuses an external data file name that is not a plain name", () => {
    for (const name of ["../escape.data", "sub/x.data", "/tmp/x.data"]) {
      expect(() => saveModel(loadModel(TINY), join(dir, "m.onnx"), { externalDataThreshold: 1, externalDataFile: name })).to.throw(ModelFileError, /must be a plain file name/);
    }
    expect(readdirSync(dir)).to.deep.equal([]);
  });
});
