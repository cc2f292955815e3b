// bench/gpu-check.sh in dry mode (this machine has no GPU; --dry forces it on one that has):
// one JSON file per the documented schema (docs/gpu.md), every GPU step skipped with its reason
// and the exact commands it would run, the providers as probed, and the CPU rehearsal of the
// pipeline (optimize + run --check) passing.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GpuCheckReport } from "../../bench/gpu-check.ts";
import { hostShowsGpu } from "../../ort/providers.ts";
import { PROJECT_ROOT } from "../support/corpus.ts";

const work = mkdtempSync(join(tmpdir(), "sparoa-gpu-check-"));
after(() => rmSync(work, { recursive: true, force: true }));

describe("bench/gpu-check.sh --dry", () => {
  it("writes one JSON saying what it skipped, and rehearses the pipeline on the CPU", () => {
    const out = join(work, "gpu-check.json");
    // Without a GPU the script chooses dry mode by itself; on a GPU host --dry forces it.
    const forced = hostShowsGpu();
    const r = spawnSync("bash", [join(PROJECT_ROOT, "bench", "gpu-check.sh"), ...(forced ? ["--dry"] : []), "--out", out, "--models", "fixtures/two-branch.onnx,fixtures/tiny-cnn.onnx"], { encoding: "utf8", cwd: PROJECT_ROOT });
    expect(r.status, r.stderr + r.stdout).to.equal(0);
    expect(r.stdout).to.match(/^gpu-check: dry mode \((--dry given|no working GPU provider: cuda: .+; webgpu: .+)\); 2 step\(s\) ran, 4 skipped, 0 failed; wrote /);
    const report = JSON.parse(readFileSync(out, "utf8")) as GpuCheckReport;
    expect(report.schema).to.equal("sparoa.gpu-check.v1");
    expect(report).to.include({ mode: "dry", gpuProvider: null });
    expect(report.dryReason).to.match(forced ? /^--dry given$/ : /^no working GPU provider: cuda: .+; webgpu: .+/);
    expect(report.providers.cpu).to.equal("ok");
    for (const p of ["cuda", "tensorrt", "webgpu"]) expect(report.providers[p], p).to.be.a("string").and.not.equal("");
    expect(report.models).to.deep.equal([]);
    const skipped = report.steps.filter((s) => s.status === "skipped");
    expect(skipped.map((s) => s.name)).to.deep.equal([
      "profile (GPU)", "optimize (measured GPU profile)", "run --check (GPU vs CPU, rtol 0.001, atol 0.0001)",
      "bench (hybrid workers, hybrid ort, GPU-only; CPU-only is the bench baseline)",
    ]);
    for (const s of skipped) expect(s.reason).to.equal(report.dryReason);
    expect(skipped[0]!.commands).to.have.length(1);
    expect(skipped[0]!.commands[0]).to.match(/^sparoa profile --ep cpu cuda --quick -o \S+gpu-host\.json --json$/);
    expect(skipped[1]!.commands).to.have.length(2); // one optimize per model
    expect(skipped[2]!.commands[0]).to.match(/^sparoa run \S+pkg-two-branch --processor-map gpu=cuda -o /);
    expect(skipped[3]!.commands).to.have.length(6);
    expect(skipped[3]!.commands.join("\n")).to.match(/--engine ort/).and.match(/tiny-cnn\.onnx --processor-map cpu=cuda/);
    const rehearsal = report.steps.find((s) => s.name.startsWith("rehearsal"))!;
    expect(rehearsal.status).to.equal("ran");
    expect(rehearsal.result).to.deep.equal({ checkOk: true });
  });

  it("refuses an unknown option or a missing model in one line, writing nothing", () => {
    const out = join(work, "bad.json");
    const r = spawnSync("bash", [join(PROJECT_ROOT, "bench", "gpu-check.sh"), "--dry", "--out", out, "--models", "nope.onnx"], { encoding: "utf8", cwd: PROJECT_ROOT });
    expect(r.status).to.equal(2);
    expect(r.stderr.trim()).to.match(/^gpu-check: error: --models: \S+nope\.onnx: no such file$/);
    expect(existsSync(out)).to.equal(false);
  });
});
