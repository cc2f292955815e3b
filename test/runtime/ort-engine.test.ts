// `--engine ort`: a package's model.annotated.onnx as ONE onnxruntime session with the
// layer_ann annotations and layer_assignment_settings. Its outputs equal the original model's
// (rtol 1e-4 / atol 1e-5) on the light corpus and the npm models; onnxruntime's profile is read
// back and compared with the plan; the annotated model also loads without the settings and with
// the manifest's own settings string; bad input fails in one line.
import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import * as ort from "onnxruntime-node";
import { decodeModel } from "../../ir/onnx/proto.ts";
import { saveModel } from "../../ir/index.ts";
import { annotatedTwoBranch } from "../support/runtime-helpers.ts";
import { LAYER_ANN_KEY } from "../../src/package/layer-assignment.ts";
import { validateManifest } from "../../src/package/validate.ts";
import { comparePlacement, OrtEngine } from "../../src/runtime/ort-engine.ts";
import { FIXTURES, lightModels, npmModels, requireBackendTests } from "../support/corpus.ts";
import { deployFeeds, packageDirFor, writeThirdsPackage } from "../support/deploy-packages.ts";
import { runSparoa } from "../support/sparoa-cli.ts";
import { expectClose, plainRun } from "./reference.ts";

const work = mkdtempSync(join(tmpdir(), "sparoa-ort-engine-"));
after(() => rmSync(work, { recursive: true, force: true }));

function manifestOf(dir: string) {
  return validateManifest(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")), join(dir, "manifest.json"));
}

/** The engine's outputs and placement check against plain onnxruntime on the original. */
async function checkModel(path: string): Promise<void> {
  const dir = await writeThirdsPackage(path, packageDirFor(work, path));
  const manifest = manifestOf(dir);
  const feeds = deployFeeds(path, manifest.source.inputs);
  const expected = await plainRun(path, feeds);
  const engine = await OrtEngine.load(dir, { threads: 1, profile: true });
  try {
    expectClose(await engine.run(feeds), expected, 1e-4, 1e-5, `${basename(path)} --engine ort`);
    const check = engine.placementCheck()!;
    // Every device runs on the CPU provider here: onnxruntime must agree with that for every node it ran.
    expect(check.mismatches, JSON.stringify(check.mismatches.slice(0, 3))).to.deep.equal([]);
    expect(check.agree + check.notInProfile).to.equal(check.planned);
    expect(check.agree).to.be.greaterThan(0);
  } finally {
    await engine.close();
  }
  // The annotated model still loads in onnxruntime without the settings, and with the
  // manifest's own string (its gpu rule finds no GPU provider here and is skipped).
  const annotated = join(dir, manifest.annotatedModel!);
  expectClose(await plainRun(annotated, feeds), expected, 1e-4, 1e-5, `${basename(path)} annotated, no settings`);
  const session = await ort.InferenceSession.create(annotated, { logSeverityLevel: 4, extra: { session: { layer_assignment_settings: manifest.layerAssignment!.settings } } });
  try {
    expectClose(await session.run(feeds), expected, 1e-4, 1e-5, `${basename(path)} annotated, manifest settings`);
  } finally {
    await session.release();
  }
}

describe("--engine ort: one onnxruntime session with layer assignment", () => {
  it("writes layer_ann on every node of model.annotated.onnx and the settings string in the manifest", async () => {
    const dir = await writeThirdsPackage(join(FIXTURES, "two-branch.onnx"), join(work, "two-branch-ann"));
    const manifest = manifestOf(dir);
    expect(manifest.layerAssignment).to.deep.equal({ key: "layer_ann", settings: "cpu(sparoa/cpu/); gpu(sparoa/gpu/)" });
    const graph = decodeModel(readFileSync(join(dir, "model.annotated.onnx"))).graph!;
    for (const n of graph.node) {
      const meta = new Map(n.metadataProps.map((e) => [e.key, e.value]));
      expect(meta.get(LAYER_ANN_KEY), n.name).to.equal(`sparoa/${meta.get("sparoa.processor")}/p${meta.get("sparoa.partition")}`);
    }
    expect(new Set(graph.node.map((n) => new Map(n.metadataProps.map((e) => [e.key, e.value])).get("sparoa.processor")))).to.deep.equal(new Set(["cpu", "gpu"]));
  });

  for (const path of lightModels()) {
    it(`light model ${basename(path)}: outputs equal the original; the profile agrees with the plan`, async function () {
      requireBackendTests(this);
      await checkModel(path);
    });
  }
  it("has the npm-shipped models", () => expect(npmModels().length).to.be.greaterThanOrEqual(7));
  for (const path of npmModels()) {
    it(`npm model ${basename(path)}: outputs equal the original; the profile agrees with the plan`, async () => {
      await checkModel(path);
    });
  }

  it("reports every node whose provider differs from the plan's (the profile of a real run, the plan asking CUDA for 'gpu')", async () => {
    const dir = await writeThirdsPackage(join(FIXTURES, "two-branch.onnx"), join(work, "two-branch-mismatch"));
    const engine = await OrtEngine.load(dir, { threads: 1, profile: true });
    try {
      await engine.run(deployFeeds("two-branch.onnx", engine.manifest.source.inputs));
      expect(engine.placementCheck()!.mismatches).to.have.length(0);
      const asCuda = comparePlacement(engine.plannedNodes, engine.ran!, new Map([["cpu", "cpu"], ["gpu", "cuda"]]));
      const gpuNodes = [...engine.plannedNodes].filter(([name, n]) => n.processor === "gpu" && engine.ran!.has(name)).map(([name]) => name);
      // Nodes onnxruntime renamed after a gpu node's output count as that node's.
      gpuNodes.push(...asCuda.added.filter((a) => a.from && engine.plannedNodes.get(a.from)!.processor === "gpu").map((a) => a.node));
      expect(gpuNodes.length).to.be.greaterThan(0);
      expect(asCuda.mismatches.map((m) => m.node).sort()).to.deep.equal(gpuNodes.sort());
      expect(asCuda.mismatches[0]).to.include({ expected: "CUDAExecutionProvider", actual: "CPUExecutionProvider", processor: "gpu" });
    } finally {
      await engine.close();
    }
  });

  it("an annotated .onnx without layer_ann, weights in an external file: annotated in memory, weights handed to onnxruntime", async () => {
    const model = annotatedTwoBranch();
    const path = join(work, "ext", "two-branch.onnx");
    mkdirSync(join(work, "ext"));
    expect(saveModel(model, path, { externalDataThreshold: 1024 }).externalTensors).to.be.greaterThan(0);
    const engine = await OrtEngine.load(path, { threads: 1 });
    try {
      expect(engine.manifest.partitions.map((p) => p.processor)).to.include("gpu");
      const feeds = deployFeeds(path, engine.manifest.source.inputs);
      expectClose(await engine.run(feeds), await plainRun(join(FIXTURES, "two-branch.onnx"), feeds), 1e-4, 1e-5, "external data");
    } finally {
      await engine.close();
    }
  });

  it("says what onnxruntime does beyond the plan: a rule no provider serves, nodes no rule matches", async () => {
    const dir = await writeThirdsPackage(join(FIXTURES, "two-branch.onnx"), join(work, "two-branch-notes"));
    const manifest = manifestOf(dir);
    const asPlanned = await OrtEngine.load(dir, { threads: 1, settings: manifest.layerAssignment!.settings });
    const cpuOnly = await OrtEngine.load(dir, { threads: 1, settings: "cpu(sparoa/cpu/)" });
    const derived = await OrtEngine.load(dir, { threads: 1 });
    try {
      expect(asPlanned.notes).to.deep.equal(["rule 'gpu(sparoa/gpu/)' matches no registered provider (providers: cpu): onnxruntime skips it"]);
      const gpuNodes = [...cpuOnly.plannedNodes.values()].filter((n) => n.processor === "gpu").length;
      expect(cpuOnly.notes).to.deep.equal([`${gpuNodes} of ${cpuOnly.plannedNodes.size} nodes match no rule: onnxruntime places them itself`]);
      expect(derived.notes).to.deep.equal([]);
      const feeds = deployFeeds("two-branch.onnx", derived.manifest.source.inputs);
      const expected = await plainRun(join(FIXTURES, "two-branch.onnx"), feeds);
      for (const e of [asPlanned, cpuOnly]) expectClose(await e.run(feeds), expected, 1e-4, 1e-5, e.settings);
    } finally {
      await Promise.all([asPlanned, cpuOnly, derived].map((e) => e.close()));
    }
  });

  it("sparoa run --engine ort --json: the settings, the placement check and the outputs", async () => {
    const dir = await writeThirdsPackage(join(FIXTURES, "two-branch.onnx"), join(work, "two-branch-cli"));
    const r = await runSparoa(["run", dir, "--engine", "ort", "--json", "--threads", "1"]);
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as { engine: string; layerAssignmentSettings: string; placementCheck: { planned: number; agree: number; mismatches: unknown[] }; outputs: Record<string, unknown> };
    expect(out.engine).to.equal("ort");
    expect(out.layerAssignmentSettings).to.equal("cpu(sparoa/cpu/, sparoa/gpu/)");
    expect(out.placementCheck.mismatches).to.deep.equal([]);
    expect(out.placementCheck.agree).to.equal(out.placementCheck.planned);
    expect(Object.keys(out.outputs)).to.deep.equal(["y"]);
  });

  it("sparoa bench --engine ort --json: the session against plain onnxruntime in the same run", async () => {
    const dir = await writeThirdsPackage(join(FIXTURES, "two-branch.onnx"), join(work, "two-branch-bench"));
    const r = await runSparoa(["bench", dir, "--engine", "ort", "--json", "-n", "4", "--rounds", "2", "--warmup", "1", "--threads", "1"]);
    expect(r.code, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as { engine: string; processors: string[]; sparoa: { count: number; p50: number }; onnxruntime: { p50: number }; ratios: { p50: number } };
    expect(out.engine).to.equal("ort");
    expect(out.processors.at(-1)).to.match(/^one onnxruntime session: providers \[cpu\], sequential execution, layer_ann settings "cpu\(sparoa\/cpu\/, sparoa\/gpu\/\)"$/);
    expect(out.sparoa.count).to.equal(4);
    expect(out.ratios.p50).to.be.closeTo(out.sparoa.p50 / out.onnxruntime.p50, 1e-9);
  });

  describe("bad input: one line, non-zero exit", () => {
    const oneLine = (r: { code: number | null; stderr: string }, pattern: RegExp) => {
      expect(r.code).to.not.equal(0);
      expect(r.stderr.trim().split("\n"), r.stderr).to.have.length(1);
      expect(r.stderr).to.match(pattern);
    };

    it("a settings string onnxruntime rejects", async () => {
      const dir = await writeThirdsPackage(join(FIXTURES, "two-branch.onnx"), join(work, "two-branch-bad-settings"));
      oneLine(await runSparoa(["run", dir, "--engine", "ort", "--layer-settings", "cpu sparoa/cpu/"]), /^sparoa: error: --layer-settings: onnxruntime rejects 'cpu sparoa\/cpu\/': Invalid layering config: Missing '\('/);
      oneLine(await runSparoa(["bench", dir, "--engine", "ort", "-n", "1", "--layer-settings", "gpu(sparoa/gpu/"]), /--layer-settings: onnxruntime rejects 'gpu\(sparoa\/gpu\/'/);
    });

    it("a package whose partition files or annotated model are missing", async () => {
      const dir = await writeThirdsPackage(join(FIXTURES, "two-branch.onnx"), join(work, "two-branch-missing"));
      const part = readdirSync(join(dir, "partitions")).find((f) => f.endsWith(".onnx"))!;
      rmSync(join(dir, "partitions", part));
      oneLine(await runSparoa(["run", dir, "--engine", "ort"]), new RegExp(`manifest.json: partitions\\[\\d\\]\\.file: 'partitions/${part}' does not exist`));
      const dir2 = await writeThirdsPackage(join(FIXTURES, "two-branch.onnx"), join(work, "two-branch-no-annotated"));
      rmSync(join(dir2, "model.annotated.onnx"));
      oneLine(await runSparoa(["run", dir2, "--engine", "ort"]), /manifest.json: annotatedModel: 'model.annotated.onnx' does not exist/);
      expect(existsSync(join(dir2, "model.annotated.onnx"))).to.equal(false);
    });

    it("--trace and --batching need the worker engine; --layer-settings needs --engine ort", async () => {
      const dir = await writeThirdsPackage(join(FIXTURES, "two-branch.onnx"), join(work, "two-branch-flags"));
      oneLine(await runSparoa(["run", dir, "--engine", "ort", "--trace", join(work, "t.json")]), /--trace: needs --engine workers/);
      oneLine(await runSparoa(["run", dir, "--layer-settings", "cpu(x)"]), /--layer-settings: only with --engine ort/);
      expect(existsSync(join(work, "t.json"))).to.equal(false);
    });
  });
});
