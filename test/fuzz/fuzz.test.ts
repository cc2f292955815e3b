// The CI slice of the fuzz campaign (test/fuzz/runner.ts): a fixed seed and 200 cases (400
// command runs) over the fixtures and, when ../shared is present, the light corpus models. No
// run may end in an internal error, hang, go over 2 GB, leave output behind or change its input,
// and onnxruntime must load every package optimize wrote. The full campaign: npm run fuzz -- --cases 10000.
import { expect } from "chai";
import { hasBackendTests } from "../support/corpus.ts";
import { BAD_OUTCOMES, formatReport, runFuzz } from "./runner.ts";

describe("fuzz slice (seed 14, 200 cases)", function () {
  this.timeout(600_000);
  it("no internal error, hang, memory blow-up, leftover or changed input; every written package loads in onnxruntime", async () => {
    if (!hasBackendTests) console.log("      (../shared/onnx-backend-tests absent: seeding from the fixtures only)");
    const report = await runFuzz({ cases: 200, seed: 14, corpus: true, timeoutMs: 120_000 });
    console.log(formatReport(report).split("\n").map((l) => `      ${l}`).join("\n"));
    for (const o of BAD_OUTCOMES) expect(report.counts[o], `${o}:\n${formatReport(report)}`).to.equal(0);
    expect(report.packagesOrtRefused, formatReport(report)).to.equal(0);
    expect(report.counts.accepted, "the slice must reach the deep paths too").to.be.greaterThan(20);
    expect(report.packagesWritten).to.be.greaterThan(0);
  });
});
