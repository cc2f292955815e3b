// `npm run fuzz -- --cases 10000 [--seed 1] [--first 0] [--timeout-ms 60000] [--memory-mb 2048] [--no-corpus] [--json report.json]`
// Runs a fuzz campaign (test/fuzz/runner.ts) and prints its report; exits 1 when any run was an
// internal error, a hang, over the memory limit, left output behind or changed its input, or
// when onnxruntime refuses a package optimize wrote.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { BAD_OUTCOMES, formatReport, runFuzz } from "./runner.ts";

const { values } = parseArgs({
  options: {
    cases: { type: "string", default: "300" }, seed: { type: "string", default: "1" }, first: { type: "string", default: "0" },
    "timeout-ms": { type: "string", default: "60000" }, "memory-mb": { type: "string", default: "2048" },
    "no-corpus": { type: "boolean", default: false }, json: { type: "string" },
  },
});
const num = (flag: string, text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) { process.stderr.write(`fuzz: --${flag} ${text}: expected a whole number\n`); process.exit(2); }
  return n;
};
const report = await runFuzz({
  cases: num("cases", values.cases), seed: num("seed", values.seed), first: num("first", values.first),
  timeoutMs: num("timeout-ms", values["timeout-ms"]), memoryLimitBytes: num("memory-mb", values["memory-mb"]) * 2 ** 20,
  corpus: !values["no-corpus"], progress: true,
  // The JSON report is rewritten as the campaign goes, so stopping it early keeps what it found.
  onCheckpoint: (r) => { if (values.json) writeFileSync(values.json, JSON.stringify({ ...r, partial: true }, null, 2) + "\n"); },
});
process.stdout.write(formatReport(report));
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + "\n");
const bad = BAD_OUTCOMES.reduce((a, o) => a + report.counts[o], 0) + report.packagesOrtRefused;
process.exit(bad > 0 ? 1 : 0);
