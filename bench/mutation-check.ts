// Mutation check of the equality tests (issue 17): each model is cut in three (cpu, gpu, cpu),
// damaged four ways (test/support/mutants.ts), and `optimize --check`'s comparison, the runtime
// corpus tests' comparison and `sparoa run` against plain onnxruntime must all refuse every
// mutant. Prints one line per mutant and the kill rate. Models: the two fixtures, three light
// corpus models with seeded random weights (when ../shared is there) and two npm models; CI runs
// the fixtures and npm models through test/harness/mutation.test.ts.
//   node --import tsx bench/mutation-check.ts
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { FIXTURES, hasBackendTests, lightModelPath, npmModels } from "../test/support/corpus.ts";
import { materializeNormalized } from "../test/support/materialize.ts";
import { DETECTORS, mutationCheck } from "../test/support/mutants.ts";
import { mutationCases } from "../test/support/mutation-cases.ts";

const paths = [join(FIXTURES, "tiny-cnn.onnx"), join(FIXTURES, "two-branch.onnx")];
if (hasBackendTests) for (const name of ["light_squeezenet.onnx", "light_shufflenet.onnx", "light_inception_v1.onnx"]) paths.push(await materializeNormalized(lightModelPath(name)));
else console.log(`note: ../shared is absent: no corpus models`);
for (const name of ["ch_PP-OCRv4_det_infer.onnx", "ch_PP-OCRv4_rec_infer.onnx"]) {
  const p = npmModels().find((m) => basename(m) === name);
  if (p) paths.push(p);
}

console.log(`mutation check: ${new Date().toISOString()}, load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}; detectors: ${DETECTORS.join(", ")} (rtol 1e-4, atol 1e-5)`);
const work = mkdtempSync(join(tmpdir(), "sparoa-mutation-"));
let mutants = 0;
let killed = 0;
const kills = Object.fromEntries(DETECTORS.map((d) => [d, 0])) as Record<string, number>;
const problems: string[] = [];
try {
  for (const c of mutationCases(paths)) {
    const report = await mutationCheck(c, work, (r) => {
      mutants++;
      for (const d of DETECTORS) if (r.refusedBy[d]) kills[d]!++;
      if (r.survivedBy.length === 0) killed++;
      console.log(`| ${r.model} | ${r.kind} | ${r.what} | ${DETECTORS.map((d) => (r.refusedBy[d] ? "killed" : "SURVIVED")).join(" | ")} |`);
    });
    problems.push(...report.baselineFailures, ...report.notes);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
for (const p of problems) console.log(`note: ${p}`);
console.log(`\n${killed} of ${mutants} mutants killed by all three detectors (${((100 * killed) / Math.max(1, mutants)).toFixed(0)}%); per detector: ${DETECTORS.map((d) => `${d} ${kills[d]}/${mutants}`).join(", ")}`);
process.exitCode = killed === mutants && problems.every((p) => !p.includes("refuses the undamaged")) ? 0 : 1;
