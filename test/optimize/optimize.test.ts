// `sparoa optimize` end to end: every light-corpus model (seeded random weights: the shipped ones
// output a constant) and npm model under both Jetson profiles (orin-nano with a calibration run
// and an exact check with optimisations off; agx-orin static with the default check, rtol 1e-4 /
// atol 1e-5, optimisations on), checked on image-like inputs that are shown to change the
// outputs; and the CLI's bad-input behaviour: one line, non-zero exit, nothing written.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import type * as ort from "onnxruntime-node";
import { loadModel } from "../../ir/index.ts";
import { inferShapes, parseInputShapes } from "../../passes/shape-inference.ts";
import { npyBytes } from "../../src/io/npy.ts";
import { checkInputs } from "../../src/package/check-inputs.ts";
import { toOrtTensor } from "../../ort/tensor-bridge.ts";
import { imageTensor } from "../support/image-inputs.ts";
import { expectInputDependent } from "../support/input-dependence.ts";
import { materializeNormalized } from "../support/materialize.ts";
import { runOrtSession } from "../support/ort-run.ts";
import { optimize } from "../../src/optimize/optimize.ts";
import { reportJson, type OptimizeReport } from "../../src/optimize/report.ts";
import { validateManifest } from "../../src/package/validate.ts";
import { LIGHT_MODEL_NAMES, lightModelPath, npmModels, PROJECT_ROOT, requireBackendTests } from "../support/corpus.ts";
import { NPM_BINDINGS } from "../support/npm-bindings.ts";

const work = mkdtempSync(join(tmpdir(), "sparoa-optimize-"));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/sparoa.js"), ...args], { encoding: "utf8", cwd: PROJECT_ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The check's inputs: image-like files for image inputs (white noise gives models that pool globally nearly the same output), the bindings' fixed inputs. */
function checkInputFiles(tag: string, imageInput: { name: string; dims: number[] } | undefined, fixed: readonly string[], seed: number): string[] {
  if (!imageInput) return [...fixed];
  const file = join(work, `${tag}-${seed}.npy`);
  writeFileSync(file, npyBytes(imageTensor(imageInput.name, imageInput.dims, seed)));
  return [...fixed, `${imageInput.name}=${file}`];
}

/** Outputs of plain onnxruntime on `model` with check-style inputs (NAME=FILE.npy or NAME=NUMBER, the rest generated as the check does). */
async function plainOutputs(model: string, inputs: readonly string[], shapes: readonly string[], seed: number): Promise<Record<string, ort.Tensor>> {
  const m = loadModel(model);
  inferShapes(m, { inputShapes: parseInputShapes(shapes.join(";")) });
  const feeds = Object.fromEntries([...checkInputs(m.graph.inputs.filter((v) => !v.initializer), inputs, seed)].map(([k, t]) => [k, toOrtTensor(t)]));
  return (await runOrtSession(model, feeds)).outputs;
}

interface Case { name: string; model: string; shapes: string[]; fixed: string[]; image?: { name: string; dims: number[] } }

function lightCase(name: string, path: string): Case {
  const input = loadModel(lightModelPath(name)).graph.inputs.find((v) => !v.initializer)!;
  return { name, model: path, shapes: [], fixed: [], image: { name: input.name, dims: [1, 3, 224, 224] } };
}

function npmCase(model: string): Case {
  const name = basename(model);
  const binding = NPM_BINDINGS[name];
  const shapes = binding ? binding.shapes.split(";") : [];
  const x = parseInputShapes(shapes).find((s) => s.name === "x");
  return { name, model, shapes, fixed: binding?.inputs ?? [], ...(x ? { image: { name: "x", dims: x.dims as number[] } } : {}) };
}

async function optimizeAll(cases: Case[], device: string, calibrated: boolean, exact: boolean): Promise<void> {
  const rows: string[] = [];
  for (const [i, c] of cases.entries()) {
    const out = join(work, `${device}-${c.name}`);
    const inputs = checkInputFiles(c.name, c.image, c.fixed, i);
    const r = await optimize({
      model: c.model, device, out,
      inputShapes: c.shapes,
      calibration: calibrated ? { files: new Map(), samples: 1, seed: 0 } : undefined,
      searchEvaluations: 50, // the refinement's budget; the planner's own tests cover the search
      check: { inputs, seed: i, ...(exact ? { rtol: 0, atol: 0, optimization: "disabled" as const } : { rtol: 1e-4, atol: 1e-5, optimization: "all" as const }) },
    });
    expect(r.check!.ok, `${c.name}: ${JSON.stringify(r.check!.outputs)}`).to.equal(true);
    if (calibrated) {
      // The check compared outputs that depend on its inputs: a second input gives others.
      const other = checkInputFiles(c.name, c.image, c.fixed, i + 100);
      expectInputDependent(await plainOutputs(c.model, inputs, c.shapes, i), await plainOutputs(c.model, other, c.shapes, i + 100), 1e-4, 1e-5, c.name);
    }
    const manifest = validateManifest(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")), "manifest.json");
    expect(manifest.partitions.length).to.equal(r.partitioning.partitions.length);
    for (const p of manifest.partitions) expect(existsSync(join(out, p.file)), p.file).to.equal(true);
    // The manifest leads back to the original (the baseline `sparoa bench` runs).
    expect(resolve(out, manifest.source.file)).to.equal(resolve(c.model));
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as OptimizeReport;
    expect(report.nodes.length).to.equal(r.analysed.graph.nodes.length);
    expect(report.predicted.planMs).to.be.greaterThan(0);
    // Never slower than a baseline, and the summary's counts are the annotated model's processors.
    for (const [k, ms] of Object.entries(report.predicted.baselinesMs)) expect(report.predicted.planMs, `${c.name} vs ${k}`).to.be.at.most(ms + 1e-9);
    const processors = r.analysed.graph.nodes.reduce<Record<string, number>>((a, n) => { const d = String(n.annotations.get("processor")); a[d] = (a[d] ?? 0) + 1; return a; }, {});
    expect(report.summary.nodes, c.name).to.deep.equal(processors);
    rows.push(`${c.name} ${manifest.partitions.length}p ${report.predicted.speedup["cpu-only"]!.toFixed(2)}x/${report.predicted.speedup["gpu-only"]!.toFixed(2)}x`);
    rmSync(out, { recursive: true, force: true });
  }
  console.log(`      ${device}: ${rows.length} models (partitions, predicted speedup over cpu-only/gpu-only): ${rows.join("; ")}`);
}

describe("sparoa optimize", () => {
  for (const [device, calibrated, exact] of [["orin-nano", true, true], ["agx-orin", false, false]] as const) {
    const how = exact ? "bit-exact, optimisations off" : "rtol 1e-4 / atol 1e-5, optimisations on";
    it(`optimizes, loads and reproduces every light-corpus model (seeded random weights, image-like check inputs) for ${device} (${how})${calibrated ? "; two check inputs give different outputs" : ""}`, async function () {
      requireBackendTests(this);
      this.timeout(1_800_000); // minutes on a quiet machine; the first run there also measures batch-norm statistics (cached in bench/.models)
      const cases: Case[] = [];
      for (const name of LIGHT_MODEL_NAMES) cases.push(lightCase(name, await materializeNormalized(lightModelPath(name))));
      await optimizeAll(cases, device, calibrated, exact);
    });

    it(`optimizes, loads and reproduces every npm model for ${device} (${how})${calibrated ? "; two check inputs give different outputs" : ""}`, async function () {
      this.timeout(600_000); // about a minute on a quiet machine
      const models = npmModels();
      expect(models.length).to.be.greaterThanOrEqual(7);
      await optimizeAll(models.map(npmCase), device, calibrated, exact);
    });
  }

  it("prints a summary that says no GPU was used, --explain per node, and --json the report", () => {
    const out = join(work, "tiny");
    const r = cli("optimize", "fixtures/tiny-cnn.onnx", "-o", out, "--explain", "--no-calibrate");
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/note: no GPU was used/);
    expect(r.stdout).to.match(/predicted latency: .* cpu-only .* gpu-only .* greedy .* heft .* codl/);
    expect(r.stdout).to.match(/plan: thresholds .* ms -> refinement from \S+ .* ms \(.*simulations.*\); final plan from \S+; best baseline \S+ .* ms \(\d\.\d+x\)/);
    expect(r.stdout).to.match(/conv1 \[Conv\] -> (cpu|gpu)\n {4}sparsity .* predicted cpu .* ms, gpu .* ms; transfers in .*\n {4}why: /);
    const j = cli("optimize", "fixtures/tiny-cnn.onnx", "-o", out, "--json", "--no-calibrate", "--pin", "op:Gemm=gpu");
    expect(j.status, j.stderr).to.equal(0);
    const report = JSON.parse(j.stdout) as ReturnType<typeof reportJson>;
    expect(report.schema).to.equal("sparoa.optimize-report.v2");
    const gemm = report.nodes.find((n) => n.op === "Gemm")!;
    expect(gemm).to.include({ processor: "gpu", pinned: "op:Gemm=gpu" });
    // Which stage made the plan, what each gained, and the guarantee against the (pinned) baselines.
    expect(report.planner.stages.map((s) => s.stage)).to.deep.equal(["thresholds", "refinement"]);
    expect(report.planner.bestBaseline!.speedup).to.be.at.least(1);
    expect(report.planner.finalStage).to.be.oneOf(["thresholds", "refinement", "cpu-only", "gpu-only", "greedy", "heft", "codl"]);
    expect(report.thresholds.axis).to.equal("flops");
  });

  describe("bad input", () => {
    const refused = (r: ReturnType<typeof cli>, pattern: RegExp, out?: string) => {
      expect(r.status).to.not.equal(0);
      expect(r.stderr.trim().split("\n")).to.have.length(1);
      expect(r.stderr).to.match(pattern);
      if (out) expect(existsSync(out), `${out} must not exist`).to.equal(false);
    };

    it("a pin naming no node: lists close names", () => {
      const out = join(work, "bad-pin");
      refused(cli("optimize", "fixtures/tiny-cnn.onnx", "-o", out, "--pin", "conv3=gpu", "--no-calibrate"), /--pin 'conv3=gpu': no node is named 'conv3' \(did you mean 'conv1', 'conv2'/, out);
    });

    it("contradictory pins: names both", () => {
      const out = join(work, "contradict");
      refused(cli("optimize", "fixtures/tiny-cnn.onnx", "-o", out, "--pin", "conv1=cpu", "--pin", "op:Conv=gpu", "--no-calibrate"), /--pin 'conv1=cpu' and --pin 'op:Conv=gpu' contradict: node 'conv1'/, out);
    });

    it("a dynamic batch without bindings is bound to 1 with a note; a wrong --input-shape is refused", () => {
      const out = join(work, "dynamic");
      const bound = cli("optimize", "fixtures/two-branch.onnx", "-o", join(work, "dynamic-bound"), "--no-calibrate");
      expect(bound.status, bound.stderr).to.equal(0);
      expect(bound.stderr).to.contain("sparoa: note: dimension 'batch' of input 'x' taken as the batch and bound to 1");
      refused(cli("optimize", "fixtures/two-branch.onnx", "-o", out, "--input-shape", "y=1x256"), /not an input of the model/, out);
      const ok = cli("optimize", "fixtures/two-branch.onnx", "-o", out, "--input-shape", "x=4x256", "--no-calibrate", "--check");
      expect(ok.status, ok.stderr).to.equal(0);
    });

    it("an output path equal to the input, or a folder that holds other files, is refused and left untouched", () => {
      const model = join(work, "copy.onnx");
      writeFileSync(model, readFileSync("fixtures/tiny-cnn.onnx"));
      const before = readFileSync(model);
      refused(cli("optimize", model, "-o", model, "--no-calibrate"), /output path is the input model/);
      expect(Buffer.compare(readFileSync(model), before)).to.equal(0);
      refused(cli("optimize", model, "-o", work, "--no-calibrate"), /inside the output folder/);
      const busy = join(work, "busy");
      mkdirSync(busy);
      writeFileSync(join(busy, "notes.txt"), "mine");
      refused(cli("optimize", model, "-o", busy, "--no-calibrate"), /not a sparoa package/);
      expect(readFileSync(join(busy, "notes.txt"), "utf8")).to.equal("mine");
    });

    it("an unknown device lists the known profiles", () => {
      const out = join(work, "nodevice");
      refused(cli("optimize", "fixtures/tiny-cnn.onnx", "-o", out, "--device", "orin-nan"), /orin-nan.*orin-nano/, out);
    });
  });
});
