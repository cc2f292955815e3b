// `sparoa optimize` end to end: every light-corpus and npm model under both Jetson profiles
// (orin-nano with a calibration run and an exact check with optimisations off; agx-orin static
// with the default check, rtol 1e-4 / atol 1e-5, optimisations on), and the CLI's bad-input
// behaviour: one line, non-zero exit, nothing written.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { optimize } from "../../src/optimize/optimize.ts";
import { reportJson, type OptimizeReport } from "../../src/optimize/report.ts";
import { validateManifest } from "../../src/package/validate.ts";
import { lightModels, npmModels, PROJECT_ROOT, requireBackendTests } from "../support/corpus.ts";
import { NPM_BINDINGS } from "../support/npm-bindings.ts";

const work = mkdtempSync(join(tmpdir(), "sparoa-optimize-"));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/sparoa.js"), ...args], { encoding: "utf8", cwd: PROJECT_ROOT });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("sparoa optimize", () => {
  for (const [device, calibrated, exact] of [["orin-nano", true, true], ["agx-orin", false, false]] as const) {
    it(`optimizes, loads and reproduces every light-corpus and npm model for ${device} (${exact ? "bit-exact, optimisations off" : "rtol 1e-4 / atol 1e-5, optimisations on"})`, async function () {
      requireBackendTests(this);
      this.timeout(600_000); // 16 models with a package check each; 155 s on a loaded 2-core machine
      const rows: string[] = [];
      for (const [i, model] of [...lightModels(), ...npmModels()].entries()) {
        const name = model.split("/").pop()!;
        const binding = NPM_BINDINGS[name];
        const out = join(work, `${device}-${i}`);
        const r = await optimize({
          model, device, out,
          inputShapes: binding ? binding.shapes.split(";") : [],
          calibration: calibrated ? { files: new Map(), samples: 1, seed: 0 } : undefined,
          searchEvaluations: 50, // the refinement's budget; the planner's own tests cover the search

          check: { inputs: binding?.inputs ?? [], seed: i, ...(exact ? { rtol: 0, atol: 0, optimization: "disabled" as const } : { rtol: 1e-4, atol: 1e-5, optimization: "all" as const }) },
        });
        expect(r.check!.ok, `${name}: ${JSON.stringify(r.check!.outputs)}`).to.equal(true);
        const manifest = validateManifest(JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")), "manifest.json");
        expect(manifest.partitions.length).to.equal(r.partitioning.partitions.length);
        for (const p of manifest.partitions) expect(existsSync(join(out, p.file)), p.file).to.equal(true);
        // The manifest leads back to the original (the baseline `sparoa bench` runs).
        expect(resolve(out, manifest.source.file)).to.equal(resolve(model));
        const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as OptimizeReport;
        expect(report.nodes.length).to.equal(r.analysed.graph.nodes.length);
        expect(report.predicted.planMs).to.be.greaterThan(0);
        // Never slower than a baseline, and the summary's counts are the annotated model's devices.
        for (const [k, ms] of Object.entries(report.predicted.baselinesMs)) expect(report.predicted.planMs, `${name} vs ${k}`).to.be.at.most(ms + 1e-9);
        const devices = r.analysed.graph.nodes.reduce<Record<string, number>>((a, n) => { const d = String(n.annotations.get("device")); a[d] = (a[d] ?? 0) + 1; return a; }, {});
        expect(report.summary.nodes, name).to.deep.equal(devices);
        rows.push(`${name} ${manifest.partitions.length}p ${report.predicted.speedup["cpu-only"]!.toFixed(2)}x/${report.predicted.speedup["gpu-only"]!.toFixed(2)}x`);
      }
      console.log(`      ${device}: ${rows.length} models (partitions, predicted speedup over cpu-only/gpu-only): ${rows.join("; ")}`);
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
    expect(report.schema).to.equal("sparoa.optimize-report.v1");
    const gemm = report.nodes.find((n) => n.op === "Gemm")!;
    expect(gemm).to.include({ device: "gpu", pinned: "op:Gemm=gpu" });
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
