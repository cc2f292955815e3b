// `sparoa export --format triton`: for every light-corpus and npm model, a repository whose
// configs parse against the schema (protobufjs text format), whose wiring check passes, and
// whose ensemble, run step by step as Triton's scheduler would (test/support/triton-executor.ts),
// equals the original model (rtol 1e-4 / atol 1e-5). Hand-broken repositories fail validation
// naming the file and the field; bad export input fails in one line and writes nothing.
import { expect } from "chai";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import * as ort from "onnxruntime-node";
import { exportTriton } from "../../src/deploy/triton-export.ts";
import { parseConfigText } from "../../src/deploy/triton-schema.ts";
import { validateRepository } from "../../src/deploy/triton-validate.ts";
import { validateManifest } from "../../src/package/validate.ts";
import { FIXTURES, lightModels, npmModels, requireBackendTests } from "../support/corpus.ts";
import { deployFeeds, packageDirFor, writeThirdsPackage } from "../support/deploy-packages.ts";
import { runSparoa } from "../support/sparoa-cli.ts";
import { runEnsemble, tritonRequest } from "../support/triton-executor.ts";
import { expectClose, plainRun } from "../runtime/reference.ts";

const work = mkdtempSync(join(tmpdir(), "sparoa-triton-"));
after(() => rmSync(work, { recursive: true, force: true }));

async function exportAndRun(path: string): Promise<void> {
  const pkg = await writeThirdsPackage(path, packageDirFor(join(work, "packages"), path));
  const manifest = validateManifest(JSON.parse(readFileSync(join(pkg, "manifest.json"), "utf8")));
  const repoDir = join(work, "repos", basename(path, ".onnx"));
  const repo = await exportTriton(pkg, repoDir);
  const checked = validateRepository(repoDir);
  expect(checked.ensembles).to.deep.equal([repo.ensemble]);
  expect(checked.models.size).to.equal(manifest.partitions.length + 1);
  // Each partition model runs where the plan put it.
  for (const m of repo.models) expect(checked.models.get(m.name)!.instance_group![0]!.kind).to.equal(m.processor === "gpu" ? "KIND_GPU" : "KIND_CPU");
  const feeds = deployFeeds(path, manifest.source.inputs);
  const run = await runEnsemble(repoDir, repo.ensemble, tritonRequest(repoDir, repo.ensemble, feeds));
  expect(run.order).to.have.length(manifest.partitions.length);
  expectClose(run.outputs, await plainRun(path, feeds), 1e-4, 1e-5, `${basename(path)} via the Triton repository`);
}

describe("Triton model repository export", () => {
  for (const path of lightModels()) {
    it(`light model ${basename(path)}: configs parse, wiring holds, the ensemble equals the original`, async function () {
      requireBackendTests(this);
      await exportAndRun(path);
    });
  }
  it("has the npm-shipped models", () => expect(npmModels().length).to.be.greaterThanOrEqual(7));
  for (const path of npmModels()) {
    it(`npm model ${basename(path)}: configs parse, wiring holds, the ensemble equals the original`, async () => {
      await exportAndRun(path);
    });
  }

  it("honours the model's dynamic batch dimension: max_batch_size, dims without it, a batch of 3 through the ensemble", async () => {
    const path = join(FIXTURES, "two-branch.onnx");
    const pkg = await writeThirdsPackage(path, join(work, "packages", "two-branch-batch"));
    const repoDir = join(work, "repos", "two-branch-batch");
    const repo = await exportTriton(pkg, repoDir, { maxBatchSize: 4 });
    expect(repo.maxBatchSize).to.equal(4);
    const top = parseConfigText(readFileSync(join(repoDir, "two-branch", "config.pbtxt"), "utf8"), "config.pbtxt");
    expect(top.input[0]).to.deep.include({ name: "x", data_type: "TYPE_FP32", dims: [256] });
    const feeds = deployFeeds(path, [{ name: "x", dtype: "f32", shape: [3, 256] }]);
    const run = await runEnsemble(repoDir, repo.ensemble, feeds);
    expect(run.outputs.y!.dims).to.deep.equal([3, 256]);
    expectClose(run.outputs, await plainRun(path, feeds), 1e-4, 1e-5, "batch of 3");
    // More than max_batch_size rows is refused, as Triton would.
    const tooMany = deployFeeds(path, [{ name: "x", dtype: "f32", shape: [5, 256] }]);
    let refused = "";
    await runEnsemble(repoDir, repo.ensemble, tooMany).catch((e: Error) => { refused = e.message; });
    expect(refused).to.match(/batch 5 outside 1\.\.4/);
  });

  it("--assume-batch: an exporter's renamed batch symbols (PP-OCR) still batch; a batch of 2 equals the original", async () => {
    const path = npmModels().find((p) => p.endsWith("ch_ppocr_mobile_v2.0_cls_infer.onnx"))!;
    const pkg = await writeThirdsPackage(path, join(work, "packages", "ppocr-cls-batch"));
    const strict = await exportTriton(pkg, join(work, "repos", "ppocr-cls-strict"));
    expect(strict.maxBatchSize).to.equal(0);
    expect(strict.batchNote).to.match(/does not start with the batch dimension 'p2o\.DynamicDimension\.0' \(--assume-batch/);
    const repoDir = join(work, "repos", "ppocr-cls-batch");
    const repo = await exportTriton(pkg, repoDir, { assumeBatch: true });
    expect(repo.maxBatchSize).to.equal(8);
    validateRepository(repoDir);
    const feeds = deployFeeds(path, [{ name: "x", dtype: "f32", shape: [2, 3, 48, 192] }]);
    const run = await runEnsemble(repoDir, repo.ensemble, feeds);
    expectClose(run.outputs, await plainRun(path, feeds), 1e-4, 1e-5, "PP-OCR cls, batch of 2");
  });

  describe("hand-broken repositories fail validation naming the file and the field", () => {
    let base = "";
    before(async () => {
      const pkg = await writeThirdsPackage(join(FIXTURES, "two-branch.onnx"), join(work, "packages", "two-branch-broken"));
      base = join(work, "repos", "two-branch-good");
      await exportTriton(pkg, base);
      validateRepository(base);
    });
    /** A copy of the good repository with one config edited; the validation error it gives. */
    const broken = (label: string, model: string, edit: (text: string) => string): string => {
      const dir = join(work, "repos", `broken-${label}`);
      cpSync(base, dir, { recursive: true });
      const file = join(dir, model, "config.pbtxt");
      const before = readFileSync(file, "utf8");
      const after = edit(before);
      expect(after, "the edit changed nothing").to.not.equal(before);
      writeFileSync(file, after);
      try {
        validateRepository(dir);
      } catch (e) {
        return (e as Error).message;
      }
      return expect.fail(`${label}: validation passed`);
    };

    it("a step input no step produces", () => {
      const msg = broken("missing-input", "two-branch", (t) => t.replace('input_map { key: "right_relu1_out0" value: "right_relu1_out0" }', 'input_map { key: "right_relu1_out0" value: "right_relu_1_out0" }'));
      expect(msg).to.match(/broken-missing-input\/two-branch\/config\.pbtxt: ensemble_scheduling\.step\[2\]\.input_map\["right_relu1_out0"\]: ensemble tensor 'right_relu_1_out0' is produced by no step/);
    });

    it("a step input left unmapped", () => {
      const msg = broken("unmapped-input", "two-branch", (t) => t.replace('      input_map { key: "right_relu1_out0" value: "right_relu1_out0" }\n', ""));
      expect(msg).to.match(/two-branch\/config\.pbtxt: ensemble_scheduling\.step\[2\]\.input_map: model 'two-branch_p2_cpu' input 'right_relu1_out0' is not mapped/);
    });

    it("a misspelt enum", () => {
      const msg = broken("enum", "two-branch_p1_gpu", (t) => t.replace("KIND_GPU", "KIND_GUP"));
      expect(msg).to.match(/broken-enum\/two-branch_p1_gpu\/config\.pbtxt: ModelInstanceGroup\.kind: enum value expected/);
    });

    it("a data type mismatch", () => {
      const msg = broken("dtype", "two-branch_p2_cpu", (t) => t.replace("TYPE_FP32", "TYPE_FP16"));
      expect(msg).to.match(/broken-dtype\/two-branch(_p2_cpu)?\/config\.pbtxt: (input\[0\]\.data_type|ensemble_scheduling\.step\[2\]\.input_map\["right_relu1_out0"\]): .*TYPE_FP16/);
      expect(msg).to.match(/and \d+ more problem/); // both the ensemble edge and the model file disagree
    });

    it("an unknown field, with its line", () => {
      const msg = broken("field", "two-branch_p0_cpu", (t) => t.replace("max_batch_size", "max_batchsize"));
      expect(msg).to.match(/two-branch_p0_cpu\/config\.pbtxt: ModelConfig: unknown field 'max_batchsize' \(line 3\)/);
    });

    it("sparoa export --validate: exit 0 on the good one, one line naming file and field on a broken one", async () => {
      const ok = await runSparoa(["export", base, "--validate"]);
      expect(ok.code, ok.stderr).to.equal(0);
      expect(ok.stdout).to.match(/4 model config\(s\) parse against the schema; ensemble wiring checked \(two-branch\)/);
      const bad = await runSparoa(["export", join(work, "repos", "broken-enum"), "--validate"]);
      expect(bad.code).to.not.equal(0);
      expect(bad.stderr.trim().split("\n")).to.have.length(1);
      expect(bad.stderr).to.match(/two-branch_p1_gpu\/config\.pbtxt: ModelInstanceGroup\.kind/);
    });
  });

  it("sparoa export --json: what it wrote", async () => {
    const pkg = await writeThirdsPackage(join(FIXTURES, "two-branch.onnx"), join(work, "packages", "two-branch-cli"));
    const out = join(work, "repos", "two-branch-cli");
    const r = await runSparoa(["export", pkg, "--format", "triton", "-o", out, "--name", "tb", "--instances", "2", "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout) as { ensemble: string; maxBatchSize: number; models: { name: string; kind: string }[] };
    expect(j.ensemble).to.equal("tb");
    expect(j.maxBatchSize).to.equal(8);
    expect(j.models.map((m) => `${m.name} ${m.kind}`)).to.deep.equal(["tb_p0_cpu KIND_CPU", "tb_p1_gpu KIND_GPU", "tb_p2_cpu KIND_CPU"]);
    expect(validateRepository(out).models.get("tb_p1_gpu")!.instance_group).to.deep.equal([{ kind: "KIND_GPU", count: 2, gpus: [0] }]);
  });

  describe("bad export input: one line, non-zero exit, nothing written", () => {
    it("an export into a non-empty folder leaves it as it was", async () => {
      const pkg = await writeThirdsPackage(join(FIXTURES, "two-branch.onnx"), join(work, "packages", "two-branch-nonempty"));
      const out = join(work, "nonempty");
      mkdirSync(out);
      writeFileSync(join(out, "notes.txt"), "mine");
      const r = await runSparoa(["export", pkg, "--format", "triton", "-o", out]);
      expect(r.code).to.not.equal(0);
      expect(r.stderr.trim().split("\n")).to.have.length(1);
      expect(r.stderr).to.match(/nonempty: exists and is not an empty folder/);
      expect(readdirSync(out)).to.deep.equal(["notes.txt"]);
    });

    it("a package whose partition file or weights are missing", async () => {
      const pkg = await writeThirdsPackage(join(FIXTURES, "two-branch.onnx"), join(work, "packages", "two-branch-gone"));
      rmSync(join(pkg, "partitions", "weights.bin"));
      const out = join(work, "gone-weights");
      const r = await runSparoa(["export", pkg, "-o", out]);
      expect(r.code).to.not.equal(0);
      expect(r.stderr.trim().split("\n")).to.have.length(1);
      expect(r.stderr).to.match(/its external data file 'weights\.bin' is missing/);
      expect(existsSync(out)).to.equal(false);
      const part = readdirSync(join(pkg, "partitions")).find((f) => f.endsWith(".onnx"))!;
      rmSync(join(pkg, "partitions", part));
      const r2 = await runSparoa(["export", pkg, "-o", out]);
      expect(r2.stderr).to.match(new RegExp(`manifest.json: partitions\\[\\d\\]\\.file: 'partitions/${part}' does not exist`));
      expect(existsSync(out)).to.equal(false);
      expect(readdirSync(work).filter((f) => f.startsWith(".sparoa-tmp"))).to.deep.equal([]);
    });
  });
});

// The executor itself must notice a wrong request, or its agreement would prove little.
describe("Triton test executor", () => {
  it("refuses a request whose dtype or shape the ensemble config does not take", async () => {
    const pkg = await writeThirdsPackage(join(FIXTURES, "two-branch.onnx"), join(work, "packages", "two-branch-exec"));
    const repoDir = join(work, "repos", "two-branch-exec");
    const repo = await exportTriton(pkg, repoDir);
    const wrongType = { x: new ort.Tensor("float64", new Float64Array(256), [1, 256]) };
    const wrongShape = { x: new ort.Tensor("float32", new Float32Array(255), [1, 255]) };
    const errors: string[] = [];
    for (const feeds of [wrongType, wrongShape]) await runEnsemble(repoDir, repo.ensemble, feeds).catch((e: Error) => errors.push(e.message));
    expect(errors[0]).to.match(/'x' is float64, the config says TYPE_FP32/);
    expect(errors[1]).to.match(/'x' has shape \[1, 255\], the config says \[batch, 256\]/);
  });
});
