// Weight-sparsity pass on a full-weight model (default VGG-19, 575 MB): pass time, load time
// and peak memory, against the anchor: onnxruntime opening the same file.
//   node --import tsx bench/weight-sparsity.ts [model.onnx] [runs]
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { loadModel } from "../ir/index.ts";
import { PassContext } from "../passes/pass.ts";
import { weightSparsityPass } from "../passes/weight-sparsity.ts";
import { BACKEND_TESTS } from "../test/support/corpus.ts";
import { materialize } from "./support/materialize.ts";

const path = process.argv[2] || materialize(join(BACKEND_TESTS, "light", "light_vgg19.onnx"));
const runs = Number(process.argv[3] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = (f: () => void) => { const t = performance.now(); f(); return performance.now() - t; };

const size = statSync(path).size;
const read: number[] = [], load: number[] = [], pass: number[] = [], session: number[] = [];
let stats: Record<string, number> | undefined;
let peakAfterPass = 0;
for (let i = 0; i < runs; i++) {
  read.push(time(() => readFileSync(path)));
  let model!: ReturnType<typeof loadModel>;
  load.push(time(() => { model = loadModel(path); }));
  pass.push(time(() => { stats = (weightSparsityPass().run(model, new PassContext()) as { statistics?: Record<string, number> }).statistics; }));
  // Later runs overlap with garbage from earlier ones; the first run's peak is the honest one.
  if (i === 0) peakAfterPass = process.resourceUsage().maxRSS * 1024;
}
for (let i = 0; i < Math.min(runs, 3); i++) {
  const t = performance.now();
  const s = await ort.InferenceSession.create(path, { logSeverityLevel: 3 });
  session.push(performance.now() - t);
  await s.release();
}
const mb = (b: number) => (b / 1e6).toFixed(0);
const ms = (x: number) => `${x.toFixed(0)} ms`;
const weights = stats?.["weight-elements"] ?? 0;
console.log(`model ${path} (${mb(size)} MB, ${(weights / 1e6).toFixed(1)} M weights), ${runs} runs, medians:`);
console.log(`  read file          ${ms(median(read))}`);
console.log(`  loadModel          ${ms(median(load))}`);
console.log(`  weight-sparsity    ${ms(median(pass))}  (${(median(pass) * 1e6 / weights).toFixed(2)} ns/weight, ${(size / 1e6 / (median(pass) / 1000)).toFixed(0)} MB/s)`);
console.log(`  anchor: onnxruntime InferenceSession.create ${ms(median(session))}`);
console.log(`  ratio pass / ort session create: ${(median(pass) / median(session)).toFixed(2)}x; (load + pass) / ort: ${((median(load) + median(pass)) / median(session)).toFixed(2)}x`);
console.log(`  peak RSS through the first load + pass: ${mb(peakAfterPass)} MB (${(peakAfterPass / size).toFixed(2)}x the file)`);
