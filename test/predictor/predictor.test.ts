// The threshold predictor: the bundled weights load and predict deterministically; the plain-TS
// inference agrees with the tfjs graph it was trained as; thresholds round-trip through
// quantiles; training on a tiny zoo (in the worker thread) lowers the loss; bad predictor files,
// an empty zoo and an untrained-for profile give clear errors or warnings.
import { expect } from "chai";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { loadModel, type Model } from "../../ir/index.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { PassManager } from "../../passes/manager.ts";
import { instantiate } from "../../passes/pipeline.ts";
import { loadProfile } from "../../src/devices/profile.ts";
import { placementProblem } from "../../src/planner/problem.ts";
import { candidateThresholds, freeValues } from "../../src/planner/thresholds.ts";
import { parameterShapes } from "../../src/predictor/architecture.ts";
import { predictorInput } from "../../src/predictor/features.ts";
import { defaultCandidates, normaliseContext, predictQuantiles, predictThresholds } from "../../src/predictor/predict.ts";
import { place } from "../../src/planner/place.ts";
import { binQuantiles } from "../../src/predictor/architecture.ts";
import { thresholdsFromQuantiles } from "../../src/predictor/quantiles.ts";
import { choosePortfolio } from "../../src/learn/portfolio.ts";
import type { ThresholdLabels } from "../../src/learn/labels.ts";
import { quantileOf, thresholdAt } from "../../src/predictor/quantiles.ts";
import { perturbProfile } from "../../src/predictor/profiles.ts";
import { BUNDLED_PREDICTOR, loadPredictor, PredictorError } from "../../src/predictor/weights.ts";
import { buildDataset } from "../../src/learn/dataset.ts";
import { tfForward, tfReady } from "../../src/learn/tf-model.ts";
import { trainInWorker } from "../../src/learn/predictor-in-worker.ts";
import { writeZoo } from "../../src/zoo/index.ts";
import { runSparoa } from "../support/sparoa-cli.ts";

registerBuiltinPasses();

const FIXTURE = join(import.meta.dirname, "..", "..", "fixtures", "tiny-cnn.onnx");

async function analysed(path: string): Promise<Model> {
  const model = loadModel(path);
  await new PassManager(instantiate([{ name: "shape-inference", options: {} }, { name: "cost", options: {} }, { name: "weight-sparsity", options: {} }])).run(model);
  return model;
}

describe("threshold predictor", function () {
  this.timeout(300_000);
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), "sparoa-predictor-")); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("imports one way: src/predictor (run-time) never imports passes/, src/learn or tfjs", () => {
    const root = join(import.meta.dirname, "..", "..", "src", "predictor");
    const offenders: string[] = [];
    for (const file of readdirSync(root).filter((f) => f.endsWith(".ts"))) {
      for (const m of readFileSync(join(root, file), "utf8").matchAll(/from\s+"([^"]+)"/g)) if (/passes\/|\/learn\/|@tensorflow/.test(m[1]!)) offenders.push(`${file} -> ${m[1]}`);
    }
    expect(offenders).to.deep.equal([]);
  });

  it("grid thresholds survive the round trip through quantiles", async () => {
    const problem = placementProblem(await analysed(FIXTURE), loadProfile("orin-nano"));
    for (const feature of ["sparsity", "intensity"] as const) {
      const values = freeValues(problem, feature);
      const sorted = [...values].sort((a, b) => a - b);
      for (const t of candidateThresholds(values)) expect(thresholdAt(sorted, quantileOf(values, t))).to.equal(t);
    }
  });

  it("loads the bundled weights and predicts the same thresholds every time", async () => {
    const p = loadPredictor();
    expect(p.bytes).to.be.below(200_000);
    const problem = placementProblem(await analysed(FIXTURE), loadProfile("agx-orin"));
    const a = predictThresholds(p, problem), b = predictThresholds(loadPredictor(BUNDLED_PREDICTOR), problem);
    expect(a.quantiles).to.deep.equal(b.quantiles);
    expect(a.thresholds).to.deep.equal(b.thresholds);
    for (const q of [a.quantiles.sparsity, a.quantiles.intensity]) expect(q).to.be.within(0, 1);
    expect(a.warnings).to.deep.equal([]);
  });

  it("the hybrid judges the predicted bin and the portfolio and keeps a plan no slower than any of them", async () => {
    const p = loadPredictor();
    expect(p.portfolio.length).to.be.within(1, 12);
    for (const profile of ["orin-nano", "h100-pcie"]) {
      const problem = placementProblem(await analysed(FIXTURE), loadProfile(profile));
      const cost = (t: { sparsity: number; intensity: number }) => problem.cost.searchCost(place(problem, t).assign);
      const alone = predictThresholds(p, problem, { candidates: 1 });
      const hybrid = predictThresholds(p, problem);
      expect(alone.checked).to.equal(1);
      expect(hybrid.checked).to.equal(defaultCandidates(p));
      expect(hybrid.checked).to.equal(1 + p.portfolio.length);
      const chosen = cost(hybrid.thresholds);
      expect(chosen).to.be.at.most(cost(alone.thresholds) + 1e-12);
      for (const bin of p.portfolio) {
        const [sparsity, intensity] = binQuantiles(p.config, bin);
        expect(chosen, `${profile} bin ${bin}`).to.be.at.most(cost(thresholdsFromQuantiles(problem, { sparsity, intensity })) + 1e-12);
      }
    }
  });

  it("chooses the portfolio greedily from the labels: the bin that helps most first, until the p90 target", () => {
    // Three pairs on a 2 x 2 bin grid (bin index = 2 * sparsity bin + intensity bin): bin 1 is
    // best on the first two pairs, bin 2 on the third, bin 3 never; bin 0 is 30% off on all.
    const labels = (bins: number[]): ThresholdLabels => ({ bins: [bins.slice(0, 2), bins.slice(2)], best: { sparsity: 0, intensity: 0 }, bestMs: Math.min(...bins), grid: { sparsity: [0], intensity: [0], ms: [[Math.min(...bins)]] }, worstMs: Math.max(...bins) });
    const set = [labels([1.3, 1, 2, 3]), labels([1.3, 1, 2, 3]), labels([1.3, 2, 1, 3])];
    expect(choosePortfolio(set)).to.deep.equal([1, 2]);
    expect(choosePortfolio(set, { maxSize: 1 })).to.deep.equal([1]);
    // A loose target stops as soon as it is met: after bin 1, the p90 regret is 2 (the third pair).
    expect(choosePortfolio(set, { p90Target: 2 })).to.deep.equal([1]);
    expect(choosePortfolio([])).to.deep.equal([]);
  });

  it("plain-TS inference agrees with the tfjs graph it was trained as", async () => {
    await tfReady();
    const p = loadPredictor();
    const problem = placementProblem(await analysed(FIXTURE), loadProfile("orin-nano"));
    const input = predictorInput(problem, p.config.steps);
    const vars = new Map(parameterShapes(p.config).map(([n, shape]) => [n, tf.variable(tf.tensor(p.params.get(n)!, shape))]));
    const out = tfForward(p.config, vars, tf.tensor3d(input.sequence, [1, p.config.steps, p.config.nodeFeatures]), tf.tensor2d(normaliseContext(p, input.context), [1, p.config.contextFeatures]));
    const logits = Array.from(out.dataSync());
    const q = predictQuantiles(p, input.sequence, input.context);
    if (p.config.output === "bins") {
      const best = logits.indexOf(Math.max(...logits));
      expect([q.sparsity, q.intensity]).to.deep.equal([Math.floor(best / p.config.bins) / (p.config.bins - 1), (best % p.config.bins) / (p.config.bins - 1)]);
    } else {
      expect(q.sparsity).to.be.closeTo(logits[0]!, 1e-5);
      expect(q.intensity).to.be.closeTo(logits[1]!, 1e-5);
    }
    for (const v of vars.values()) v.dispose();
  });

  it("warns, naming the features, for a profile outside the training range", async () => {
    const p = loadPredictor();
    const far = perturbProfile(loadProfile("orin-nano"), () => 0.5, "far");
    for (const spec of Object.values(far.processors)) if (spec.kind === "gpu") for (const k of Object.keys(spec.peakGflops)) spec.peakGflops[k]! *= 1000;
    const prediction = predictThresholds(p, placementProblem(await analysed(FIXTURE), far));
    expect(prediction.outOfRange.map((s) => s.split(" (")[0]!.replace(/ [-\d.]+$/, ""))).to.deep.equal(["gpu log GFLOP/s"]);
    expect(prediction.warnings[0]).to.match(/outside the threshold predictor's training range.*gpu log GFLOP\/s/);
  });

  it("rejects corrupt and incompatible predictor files with one line naming the file and field", () => {
    const good = JSON.parse(readFileSync(BUNDLED_PREDICTOR, "utf8"));
    const first = Object.keys(good.params)[0]!;
    const cases: [string, string, RegExp][] = [
      ["truncated.json", JSON.stringify(good).slice(0, 500), /truncated\.json: cannot read the predictor/],
      ["format.json", JSON.stringify({ ...good, format: "keras" }), /format\.json: format is "keras"/],
      ["features.json", JSON.stringify({ ...good, nodeFeatures: good.nodeFeatures.slice(1) }), /features\.json: nodeFeatures differ/],
      ["shape.json", JSON.stringify({ ...good, params: { ...good.params, [first]: { ...good.params[first], shape: [3] } } }), new RegExp(`shape\\.json: params\\.${first.replace(".", "\\.")} has shape \\[3\\]`)],
      ["extra.json", JSON.stringify({ ...good, params: { ...good.params, "att.wz": good.params[first] } }), /extra\.json: params\.att\.wz is not a parameter of a \S+ predictor/],
      ["portfolio.json", JSON.stringify({ ...good, portfolio: [0, 121] }), /portfolio\.json: portfolio must be distinct bin indices 0\.\.120/],
      ["short.json", JSON.stringify({ ...good, params: Object.fromEntries(Object.entries(good.params as Record<string, { shape: number[]; data: string }>).map(([k, v], i) => [k, i === 0 ? { ...v, data: v.data.slice(0, 16) } : v])) }), /short\.json: params\.[\w.]+ holds \d+ values, expected/],
    ];
    for (const [name, text, pattern] of cases) {
      writeFileSync(join(dir, name), text);
      expect(() => loadPredictor(join(dir, name)), name).to.throw(PredictorError, pattern);
    }
  });

  it("optimize: a corrupt --predictor fails with one line and writes nothing", async () => {
    writeFileSync(join(dir, "bad.json"), "{not json");
    const out = join(dir, "out-bad");
    const r = await runSparoa(["optimize", FIXTURE, "-o", out, "--no-calibrate", "--predictor", join(dir, "bad.json")]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr.trim().split("\n")).to.have.length(1);
    expect(r.stderr).to.match(/bad\.json: cannot read the predictor/);
    expect(existsSync(out)).to.equal(false);
  });

  it("train: a zoo folder with no models is a one-line error", async () => {
    const empty = join(dir, "empty-zoo");
    mkdirSync(empty);
    let r = await runSparoa(["train", "predictor", "--zoo", empty, "-o", join(dir, "p.json")]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/empty-zoo: no zoo\.json/);
    writeFileSync(join(empty, "zoo.json"), JSON.stringify({ format: "sparoa-zoo", version: 1, models: [] }));
    r = await runSparoa(["train", "predictor", "--zoo", empty, "-o", join(dir, "p.json")]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/zoo\.json: lists no models/);
    expect(existsSync(join(dir, "p.json"))).to.equal(false);
  });

  it("trains a few steps on a tiny zoo in a worker thread and the loss falls", async () => {
    const zoo = join(dir, "tiny-zoo");
    writeZoo(zoo, { count: 3, seed: 5, families: ["plain-cnn", "vit", "mlp-mixer"], sizes: ["small"] });
    const samples = await buildDataset(zoo, { steps: 8, perturbed: 1, seed: 2, calibrate: false });
    expect(samples).to.have.length(3 * 4);
    const losses: number[] = [];
    const { predictor, record } = await trainInWorker(samples, { kind: "transformer-lstm", epochs: 12, seed: 3, batch: 64, validationShare: 0, patience: 100, learningRate: 0.01, sizes: { d: 8, heads: 2, ffn: 8, lstm: 8, hidden: 8 } }, (r) => losses.push(...r.stepLosses));
    expect(losses).to.have.length(12);
    expect(losses.at(-1)!).to.be.below(losses[0]! * 0.9);
    expect(record.epochs).to.equal(12);
    expect(predictor.params.get("lstm.wh")!.length).to.equal(8 * 32);
    expect(predictor.portfolio).to.deep.equal(choosePortfolio(samples.map((s) => s.labels)));
    expect(predictor.portfolio.length).to.be.at.least(1);
  });

  it("sparoa train predictor writes a predictor that loads, records its command, and optimize uses it", async () => {
    const zoo = join(dir, "tiny-zoo");
    if (!existsSync(join(zoo, "zoo.json"))) writeZoo(zoo, { count: 3, seed: 5, families: ["plain-cnn", "vit", "mlp-mixer"], sizes: ["small"] });
    const file = join(dir, "tiny-predictor.json");
    const r = await runSparoa(["train", "predictor", "--zoo", zoo, "-o", file, "--epochs", "2", "--perturbed", "0", "--kind", "mlp", "--seed", "4"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/label: 3\/3 mlp-mixer-2\.onnx\n/);
    expect(r.stderr).to.match(/train: epoch 1\/2 loss [\d.]+ validation [\d.]+/);
    const p = loadPredictor(file);
    expect(p.config.kind).to.equal("mlp");
    expect(p.training!.command).to.equal(`sparoa train predictor --zoo ${zoo} -o ${file} --epochs 2 --seed 4 --kind mlp --output-kind bins --perturbed 0 --learning-rate 0.001`);
    const out = join(dir, "out-tiny");
    const o = await runSparoa(["optimize", FIXTURE, "-o", out, "--no-calibrate", "--predictor", file, "--search-evaluations", "20"]);
    expect(o.code, o.stderr).to.equal(0);
    expect(JSON.parse(readFileSync(join(out, "report.json"), "utf8")).thresholds.predictor.file).to.equal(file);
  });
});
