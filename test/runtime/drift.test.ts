// The runtime's drift check (src/runtime/drift.ts) as `sparoa run` and `sparoa bench` report it:
// the processor workers time every partition, the figures per processor are the sums of the package's
// predicted and measured partition times, the verdict follows --drift-ratio, and a ratio <= 1 is
// refused. Predictions are for the plan's profile (orin-nano here) while the partitions run on
// this machine's CPU, so the measured side is whatever this machine does; the test checks the
// arithmetic and the verdict against the figures reported, not a speed.
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { optimize } from "../../src/optimize/optimize.ts";
import type { PackageManifest } from "../../src/package/manifest.ts";
import { driftReport, partitionDrift } from "../../src/runtime/drift.ts";
import { Runtime } from "../../src/runtime/runtime.ts";
import { prepareFeeds } from "../../src/cli/tensor-args.ts";
import { runSparoaInProcess } from "../support/cli-in-process.ts";

interface Drift { profile: string; maxRatio: number; drifted: boolean; processors: { processor: string; predictedMs: number; measuredMs: number; ratio: number; drifted: boolean }[] }

describe("drift check (run, bench)", function () {
  this.timeout(120_000);
  let dir: string;
  let pkg: string;
  let manifest: PackageManifest;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sparoa-drift-"));
    pkg = join(dir, "pkg");
    await optimize({ model: "fixtures/two-branch.onnx", device: "orin-nano", out: pkg, inputShapes: ["x=64x256"], state: "none" });
    manifest = JSON.parse(readFileSync(join(pkg, "manifest.json"), "utf8")) as PackageManifest;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const checkAgainstManifest = (drift: Drift, ratio: number) => {
    expect(drift.profile).to.equal("orin-nano");
    expect(drift.maxRatio).to.equal(ratio);
    const devices = new Set(manifest.partitions.map((p) => p.processor));
    expect(drift.processors.map((d) => d.processor).sort()).to.deep.equal([...devices].sort());
    for (const d of drift.processors) {
      const predicted = manifest.partitions.filter((p) => p.processor === d.processor).reduce((a, p) => a + p.predictedMs!, 0);
      expect(d.predictedMs).to.be.closeTo(predicted, 1e-9);
      expect(d.measuredMs).to.be.greaterThan(0);
      expect(d.ratio).to.be.closeTo(d.measuredMs / d.predictedMs, 1e-9);
      expect(d.drifted, d.processor).to.equal(d.ratio > ratio || d.ratio < 1 / ratio);
    }
    expect(drift.drifted).to.equal(drift.processors.some((d) => d.drifted));
  };

  it("run --json reports each device's measured against predicted partition time, and the text output says the verdict", async () => {
    const r = await runSparoaInProcess(["run", pkg, "--json", "--threads", "1"]);
    expect(r.code, r.stderr).to.equal(0);
    checkAgainstManifest((JSON.parse(r.stdout) as { drift: Drift }).drift, 1.5);
    // A ratio so wide nothing drifts, and the text form.
    const wide = await runSparoaInProcess(["run", pkg, "--threads", "1", "--drift-ratio", "1e9"]);
    expect(wide.code, wide.stderr).to.equal(0);
    const lines = wide.stdout.split("\n").filter((l) => l.startsWith("drift: "));
    expect(lines).to.have.length(new Set(manifest.partitions.map((p) => p.processor)).size);
    for (const l of lines) expect(l).to.match(/^drift: \w+ partitions measured [\d.]+ ms vs predicted [\d.]+ ms for orin-nano \([\d.]+x\), within 1000000000x$/);
  });

  it("bench --json reports drift over the measured requests", async () => {
    const r = await runSparoaInProcess(["bench", pkg, "--json", "-n", "4", "--rounds", "2", "--warmup", "1", "--no-baseline", "--threads", "1", "--drift-ratio", "2"]);
    expect(r.code, r.stderr).to.equal(0);
    checkAgainstManifest((JSON.parse(r.stdout) as { drift: Drift }).drift, 2);
  });

  it("refuses a drift ratio <= 1, and says why when there is nothing to compare", async () => {
    const r = await runSparoaInProcess(["run", pkg, "--drift-ratio", "1"]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/--drift-ratio: must be a number > 1 \(got 1\)/);
    expect(() => partitionDrift(manifest, new Map(), 0.9)).to.throw(/drift ratio must be > 1/);
    expect(driftReport(manifest, undefined).note).to.match(/does not time partitions/);
    expect(driftReport(manifest, new Map()).note).to.match(/no predicted times/);
  });

  it("the processor workers time every partition of a run", async () => {
    const runtime = await Runtime.load(pkg, { threads: 1 });
    try {
      const feeds = prepareFeeds(runtime.manifest, {}, { seed: 1 }).feeds;
      await runtime.run(feeds);
      const times = runtime.partitionTimes();
      expect([...times.keys()].sort()).to.deep.equal(manifest.partitions.map((p) => p.id).sort());
      for (const t of times.values()) expect(t).to.be.greaterThan(0);
      runtime.resetStats();
      expect(runtime.partitionTimes().size).to.equal(0);
    } finally {
      await runtime.close();
    }
  });
});
