// `sparoa plan` and `sparoa profile` from the command line: real runs, and bad input that must
// fail with one line naming the problem and leave no output behind.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FIXTURES, PROJECT_ROOT } from "../support/corpus.ts";

function sparoa(...args: string[]) {
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/sparoa.js"), ...args], { encoding: "utf8", cwd: PROJECT_ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("sparoa plan / profile CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "sparoa-plan-"));

  it("plan: every baseline for tiny-cnn on orin-nano, as JSON, with a Perfetto trace", () => {
    const trace = join(dir, "trace.json");
    const r = sparoa("plan", join(FIXTURES, "tiny-cnn.onnx"), "--device", "orin-nano", "--json", "--trace", trace, "--batch", "4");
    expect(r.code, r.err).to.equal(0);
    const j = JSON.parse(r.out);
    expect(j.plans.map((p: { name: string }) => p.name)).to.deep.equal(["cpu-only", "gpu-only", "greedy", "heft", "codl", "oracle", "sparoa"]);
    expect(j.provenance).to.match(/nothing was run, and no GPU was used/);
    const byName = Object.fromEntries(j.plans.map((p: { name: string }) => [p.name, p]));
    expect(byName.oracle.label).to.match(/exact optimum/);
    expect(byName["cpu-only"].crossings).to.equal(0);
    expect(byName["gpu-only"].crossings).to.equal(2); // the image in, the logits out
    for (const name of ["cpu-only", "gpu-only", "greedy", "heft", "codl"]) {
      expect(byName.oracle.latencyMs).to.be.at.most(byName[name].latencyMs + 1e-9);
      expect(byName.sparoa.latencyMs, name).to.be.at.most(byName[name].latencyMs + 1e-9);
    }
    // One cost for every plan: the simulation plus one runtime call per extra partition.
    for (const p of j.plans) expect(p.latencyMs, p.name).to.be.closeTo(p.simulatedMs + p.callsMs + p.cutsMs + p.contentionMs, 1e-9);
    expect(byName.oracle.batch.size).to.equal(4);
    expect(byName["cpu-only"].speedupOverCpuOnly).to.equal(1);
    const events = JSON.parse(readFileSync(trace, "utf8")).traceEvents as { ph: string; name: string; args?: { name?: string } }[];
    const tracks = events.filter((e) => e.name === "thread_name").map((e) => e.args!.name);
    expect(tracks).to.include.members(["cpu", "gpu"]);
    expect(events.filter((e) => e.ph === "X" && !e.name.startsWith("copy ")).length).to.equal(9);
  });

  it("plan: the table says what the numbers are and that no GPU ran", () => {
    const r = sparoa("plan", join(FIXTURES, "two-branch.onnx"), "--device", "h100-pcie", "--compare", "--input-shape", "x=8x256");
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/Predicted by the simulator from profile 'h100-pcie' \(spec-sheet figures/);
    for (const name of ["cpu-only", "gpu-only", "greedy", "heft", "codl", "oracle", "sparoa"]) expect(r.out).to.match(new RegExp(`^${name} `, "m"));
  });

  it("plan: an unknown device lists the known ones; a malformed profile names the field; no output", () => {
    const trace = join(dir, "never.json");
    let r = sparoa("plan", join(FIXTURES, "tiny-cnn.onnx"), "--device", "jetson", "--trace", trace);
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/^sparoa: error: unknown device 'jetson'.*known devices: agx-orin, h100-pcie, host, host-2x1, orin-nano/);
    expect(r.err.trim().split("\n")).to.have.length(1);
    expect(existsSync(trace)).to.equal(false);
    const bad = JSON.parse(readFileSync(join(PROJECT_ROOT, "src/devices/profiles/agx-orin.json"), "utf8"));
    bad.links[0].latencyUs = -1;
    const file = join(dir, "bad-profile.json");
    writeFileSync(file, JSON.stringify(bad));
    r = sparoa("plan", join(FIXTURES, "tiny-cnn.onnx"), "--device", file);
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/bad-profile.json: field 'links\[0\].latencyUs' must be at least 0 \(got -1\)/);
  });

  it("profile: an execution provider unavailable here, or a profile measured for one, gives a clear message", () => {
    const out = join(dir, "never-profile.json");
    let r = sparoa("profile", "--ep", "cuda", "-o", out);
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/^sparoa: error: cannot measure 'cuda' \('cuda' is not bundled with onnxruntime-node/);
    r = sparoa("profile", "--device", "orin-nano", "-o", out);
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/profile 'orin-nano': processor 'cpu' needs execution provider 'xnnpack', which is unavailable on this machine.*available here: cpu.*can still be used for prediction/);
    expect(existsSync(out)).to.equal(false);
  });
});
