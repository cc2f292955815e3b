// `optimize --thresholds predictor|grid|S,I` and `--compare-thresholds`: report.json records
// where the thresholds came from, the prediction, and the grid search's result beside it.
import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OptimizeReport } from "../../src/optimize/report.ts";
import { runAll, runSparoa } from "../support/sparoa-cli.ts";

const MODEL = join(import.meta.dirname, "..", "..", "fixtures", "two-branch.onnx");
const BASE = ["--input-shape", "x=64x256", "--no-calibrate", "--search-evaluations", "50", "-d", "agx-orin"];

describe("optimize --thresholds", function () {
  this.timeout(300_000);
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), "sparoa-thresholds-")); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const report = (name: string) => JSON.parse(readFileSync(join(dir, name, "report.json"), "utf8")) as OptimizeReport;

  it("records the source, the prediction and, on request, the grid's result beside it", async () => {
    const runs = await runAll([
      () => runSparoa(["optimize", MODEL, ...BASE, "-o", join(dir, "default"), "--compare-thresholds"]),
      () => runSparoa(["optimize", MODEL, ...BASE, "-o", join(dir, "grid"), "--thresholds", "grid"]),
      () => runSparoa(["optimize", MODEL, ...BASE, "-o", join(dir, "given"), "--thresholds", "0.25,3e6"]),
      () => runSparoa(["optimize", MODEL, ...BASE, "-o", join(dir, "bad"), "--thresholds", "0.5"]),
    ], 2);
    for (const r of runs.slice(0, 3)) expect(r.code, r.stderr).to.equal(0);
    const predicted = report("default").thresholds, grid = report("grid").thresholds, given = report("given").thresholds;
    expect(predicted.source).to.equal("predictor");
    expect(predicted.predictor!.kind).to.be.oneOf(["transformer-lstm", "mlp"]);
    expect(predicted.predictor!.quantiles.sparsity).to.be.within(0, 1);
    // The default is the hybrid: the predicted bin and the bundled portfolio, distinct plans simulated once.
    expect(predicted.predictor!.checked).to.be.above(1);
    expect(predicted.predictor!.simulated).to.be.within(1, predicted.predictor!.checked);
    expect(runs[0]!.stdout).to.match(new RegExp(`cheapest of ${predicted.predictor!.checked} bins, the predicted one and the portfolio: ${predicted.predictor!.simulated} distinct plans simulated`));
    expect(runs[0]!.stdout).to.match(/thresholds: .*\(predictor: /);
    expect(runs[0]!.stdout).to.match(/grid search beside it: /);
    const c = predicted.comparison!;
    expect([c.grid.sparsity, c.grid.intensity]).to.deep.equal([grid.sparsity, grid.intensity]);
    expect(c.regret).to.be.closeTo(c.predicted.ms / c.grid.ms, 1e-12);
    expect(c.refinedRegret).to.be.closeTo(c.predicted.refinedMs! / c.grid.refinedMs!, 1e-12);
    expect(c.predicted.refinedMs).to.be.closeTo(report("default").predicted.planMs, 1e-6);
    expect(grid.source).to.equal("grid search");
    expect(grid.evaluated).to.be.above(1);
    expect(grid.predictor).to.equal(undefined);
    expect([given.source, given.sparsity, given.intensity]).to.deep.equal(["given", 0.25, 3e6]);
    expect(runs[3]!.code).to.equal(1);
    expect(runs[3]!.stderr).to.match(/^sparoa: error: --thresholds 0\.5: expected predictor, grid, or S,I/);
    expect(existsSync(join(dir, "bad"))).to.equal(false);
  });
});
