// The SAC scheduler: pretraining on a tiny zoo lowers the critics' loss; training and planning are
// deterministic for a seed; the bundled weights load and plan through the planner's guarantee;
// a busy CPU moves work off the CPU and the busy-state plan is faster under that state; bad
// weights and state files fail with one line naming the field.
import { expect } from "chai";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadProfile } from "../../src/devices/profile.ts";
import { adjustProfile } from "../../src/devices/state-profile.ts";
import { planPlacement } from "../../src/planner/planner.ts";
import { placementProblem, type PlacementProblem } from "../../src/planner/problem.ts";
import { syntheticState, zooCorpus, type CorpusModel } from "../../src/learn/scheduler-corpus.ts";
import { sacRefiner } from "../../src/scheduler/refine.ts";
import { schedulerBackend } from "../../src/scheduler/tf.ts";
import { movableNodes, trainScheduler } from "../../src/learn/scheduler-train.ts";
import { loadSchedulerWeights, SchedulerWeightsError, validateSchedulerWeights, type SchedulerWeights } from "../../src/scheduler/weights.ts";
import { writeZoo } from "../../src/zoo/index.ts";
import { optimize } from "../../src/optimize/optimize.ts";
import { packageSource, replanPackage } from "../../src/optimize/replan.ts";
import { partitionDrift } from "../../src/runtime/drift.ts";
import { runSparoa } from "../support/sparoa-cli.ts";

describe("SAC scheduler", function () {
  this.timeout(300_000);
  let dir: string;
  let corpus: CorpusModel[];
  let bundled: SchedulerWeights;

  before(async () => {
    await schedulerBackend();
    dir = mkdtempSync(join(tmpdir(), "sparoa-sched-"));
    // A tiny zoo: small CNNs and a small transformer (train split), no calibration run.
    writeZoo(join(dir, "zoo"), { count: 3, seed: 5, families: ["plain-cnn", "residual-cnn", "vit"], sizes: ["small"] });
    corpus = await zooCorpus(join(dir, "zoo"), "train", { calibrate: false });
    bundled = loadSchedulerWeights();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("pretraining a few hundred steps on a tiny zoo lowers the Q loss", () => {
    expect(corpus.length).to.equal(3);
    // One problem (a stationary replay), so the critics' loss measures learning, not new problems.
    const { weights, qLosses } = trainScheduler(corpus.slice(0, 1), { seed: 3, steps: 400, pool: 1, hidden: 32 });
    expect(qLosses.length).to.be.greaterThan(100);
    expect(weights.training.qLossLast, `Q loss ${weights.training.qLossFirst} -> ${weights.training.qLossLast}`).to.be.lessThan(weights.training.qLossFirst * 0.8);
    expect(() => validateSchedulerWeights(JSON.parse(JSON.stringify(weights)))).not.to.throw();
  });

  it("is deterministic for a seed: same weights after training, same plan after the fine-tune", () => {
    const a = trainScheduler(corpus, { seed: 9, steps: 140, pool: 2, hidden: 16 }).weights;
    const b = trainScheduler(corpus, { seed: 9, steps: 140, pool: 2, hidden: 16 }).weights;
    const c = trainScheduler(corpus, { seed: 10, steps: 140, pool: 2, hidden: 16 }).weights;
    expect(a.training.updates).to.be.greaterThan(0);
    expect(a.nets).to.deep.equal(b.nets);
    expect(a.nets.actor[0]!.data).not.to.deep.equal(c.nets.actor[0]!.data);
    const problem = placementProblem(corpus[0]!.model, loadProfile("agx-orin"));
    const plan = () => planPlacement(problem, { search: { seed: 4, maxEvaluations: 300 }, refiner: sacRefiner({ weights: bundled, fineTuneShare: 0.5, polish: false }) });
    const p1 = plan();
    const p2 = plan();
    expect(p1.refinement!.by).to.match(/SAC policy/);
    expect(Array.from(p1.refinement!.assign)).to.deep.equal(Array.from(p2.refinement!.assign));
    expect(p1.latency.ms).to.equal(p2.latency.ms);
  });

  it("the bundled weights load and plan: never slower than the threshold plan or any baseline, within the budget", () => {
    expect(bundled.training.models.length).to.be.greaterThan(0);
    for (const m of corpus) for (const device of ["orin-nano", "h100-pcie"]) {
      const problem = placementProblem(m.model, loadProfile(device));
      const r = planPlacement(problem, { search: { seed: 1, maxEvaluations: 400 }, refiner: sacRefiner({ weights: bundled }) });
      expect(r.stages[1]!.from, `${m.name} ${device}`).to.match(/SAC policy|local search/);
      // The budget binds the searches; branch and bound (up to 25 free nodes, in the polish as in
      // the planner's default refinement) has its own budget of explored nodes.
      if (movableNodes(problem).length > 25) expect(r.refinement!.evaluations).to.be.at.most(400 + 2 * (r.baselines.length + 1));
      expect(r.latency.ms).to.be.at.most(r.stages[0]!.ms + 1e-9);
      for (const b of r.baselines) expect(r.latency.ms, `${m.name} ${device} vs ${b.name}`).to.be.at.most(b.latency.ms + 1e-9);
    }
  });

  it("a 75%-busy CPU moves work off the CPU, and that plan is faster under the busy state than the idle-state plan", () => {
    const cpuWork = (p: PlacementProblem, assign: Int32Array) => movableNodes(p).reduce((s, i) => s + (assign[i] === p.cpu ? p.sim.duration[p.cpu]![i]! : 0), 0);
    let checked = 0;
    for (const m of corpus) {
      const base = loadProfile("orin-nano");
      const idleProblem = placementProblem(m.model, adjustProfile(base, syntheticState(0)).profile);
      const busyState = syntheticState(0.75);
      const busyProblem = placementProblem(m.model, adjustProfile(base, busyState).profile);
      const refiner = (state = syntheticState(0)) => sacRefiner({ weights: bundled, state, fineTuneShare: 0 });
      const idle = planPlacement(idleProblem, { search: { seed: 1, maxEvaluations: 400 }, refiner: refiner() }).outcome.assign;
      const busy = planPlacement(busyProblem, { search: { seed: 1, maxEvaluations: 400 }, refiner: refiner(busyState) }).outcome.assign;
      const idleUnderBusy = busyProblem.cost.latency(idle).ms;
      const busyUnderBusy = busyProblem.cost.latency(busy).ms;
      expect(busyUnderBusy, m.name).to.be.at.most(idleUnderBusy + 1e-9);
      expect(cpuWork(idleProblem, busy), m.name).to.be.at.most(cpuWork(idleProblem, idle) + 1e-9);
      if (cpuWork(idleProblem, idle) > 0 && busyUnderBusy < idleUnderBusy - 1e-9) {
        expect(cpuWork(idleProblem, busy)).to.be.lessThan(cpuWork(idleProblem, idle));
        checked++;
      }
    }
    expect(checked, "models whose idle plan used the CPU and got faster when re-planned").to.be.greaterThan(0);
  });

  it("rejects corrupt weights naming the file and field", () => {
    const bad = (mutate: (w: Record<string, any>) => void) => { const w = JSON.parse(JSON.stringify(bundled)); mutate(w); return w; };
    const cases: [unknown, RegExp][] = [
      [bad((w) => { w.schema = "x"; }), /field 'schema'/],
      [bad((w) => { w.nets.actor[0].data[5] = "oops"; }), /field 'nets\.actor\[0\]\.data\[5\]' must be a finite number/],
      [bad((w) => { w.nets.q2[2].shape = [3, 3]; }), /field 'nets\.q2\[2\]\.shape'/],
      [bad((w) => { w.nets.q1.pop(); }), /field 'nets\.q1' must be an array of 6 tensors/],
      [bad((w) => { w.config.hidden = 1e9; }), /field 'config\.hidden'/],
      [bad((w) => { w.observation = ["a"]; }), /field 'observation'/],
      [bad((w) => { w.nets.logAlpha = null; }), /field 'nets\.logAlpha'/],
    ];
    for (const [json, re] of cases) expect(() => validateSchedulerWeights(json, "w.json")).to.throw(SchedulerWeightsError, re);
    const truncated = join(dir, "truncated.json");
    writeFileSync(truncated, readFileSync(join(import.meta.dirname, "../../src/scheduler/weights/scheduler.json"), "utf8").slice(0, 5000));
    expect(() => loadSchedulerWeights(truncated)).to.throw(SchedulerWeightsError, /truncated\.json: not valid JSON/);
  });

  it("the CLI fails in one line, writes nothing, on corrupt weights or a bad state file", async () => {
    const model = join(dir, "zoo", "plain-cnn-0.onnx");
    const weights = join(dir, "bad-weights.json");
    writeFileSync(weights, JSON.stringify({ ...bundled, nets: { ...bundled.nets, logAlpha: "x" } }));
    const state = join(dir, "bad-state.json");
    writeFileSync(state, JSON.stringify({ ...syntheticState(0.5), cpu: { ...syntheticState(0.5).cpu, utilisation: -0.2 } }));
    const busy = join(dir, "busy-state.json");
    writeFileSync(busy, JSON.stringify({ ...syntheticState(0.5), cpu: { ...syntheticState(0.5).cpu, cores: [{ core: 0, utilisation: 4 }] } }));
    for (const [args, re] of [
      [["--scheduler", "sac", "--scheduler-weights", weights], /bad-weights\.json: field 'nets\.logAlpha'/],
      [["--state", state], /bad-state\.json: field 'cpu\.utilisation' must be a fraction between 0 and 1 \(got -0\.2\)/],
      [["--state", busy], /busy-state\.json: field 'cpu\.cores\[0\]\.utilisation' must be a fraction between 0 and 1 \(got 4\)/],
      [["--search-budget", "ten"], /--search-budget ten: expected/],
    ] as const) {
      const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
      const r = await runSparoa(["optimize", model, "-d", "orin-nano", "-o", out, "--no-calibrate", "--thresholds", "grid", ...args]);
      expect(r.code, r.stderr).to.not.equal(0);
      expect(r.stderr.trim().split("\n"), r.stderr).to.have.length(1);
      expect(r.stderr).to.match(re);
      expect(existsSync(out)).to.equal(false);
    }
  });

  it("optimize --scheduler sac plans through the guarantee and says so in the report", async () => {
    const model = join(dir, "zoo", "residual-cnn-1.onnx");
    const out = join(dir, "out-sac");
    const r = await runSparoa(["optimize", model, "-d", "agx-orin", "-o", out, "--no-calibrate", "--thresholds", "grid", "--scheduler", "sac", "--search-budget", "500", "--state", "none", "--json"]);
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout);
    const text = JSON.stringify(report);
    expect(text).to.match(/"stage":"refinement"[^}]*"from":"(SAC policy|local search)/);
    expect(existsSync(join(out, "manifest.json"))).to.equal(true);
  });

  it("re-plans a package for a new snapshot (library call) and reports devices whose partition times drift", async () => {
    const model = join(dir, "zoo", "residual-cnn-1.onnx");
    const first = join(dir, "pkg-idle");
    await optimize({ model, device: "agx-orin", out: first, thresholds: "grid", state: "none" });
    const src = packageSource(first);
    expect(src.device).to.equal("agx-orin");
    const again = join(dir, "pkg-busy");
    const busy = await replanPackage(first, syntheticState(0.75), { out: again, thresholds: "grid" });
    expect(existsSync(join(again, "manifest.json"))).to.equal(true);
    expect(busy.placement.problem.profile.description).to.match(/25% available \(cpu 75% busy\)/);
    const drift = partitionDrift(src.manifest, new Map(src.manifest.partitions.map((p) => [p.id, (p.predictedMs ?? 0) * (p.processor === "cpu" ? 2 : 1.1)])), 1.5);
    expect(drift.length).to.be.greaterThan(0);
    for (const d of drift) expect(d.drifted, d.processor).to.equal(d.processor === "cpu");
    await replanPackage(first, syntheticState(0.5), { out: join(first, "inside"), thresholds: "grid" }).then(() => expect.fail("wrote into the package"), (e: Error) => expect(e.message).to.match(/never into it/));
  });

  it("sparoa train scheduler trains in a worker, prints progress lines when piped, and writes loadable weights", async () => {
    const out = join(dir, "trained.json");
    const r = await runSparoa(["train", "scheduler", "--zoo", join(dir, "zoo"), "-o", out, "--steps", "150", "--hidden", "16", "--seed", "2"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/analyse: 3\/3/);
    expect(r.stderr).to.match(/train: step 150\/150 updates \d+ Q loss/);
    expect(r.stdout).to.match(/wrote .*trained\.json: SAC-Discrete, hidden 16, 3 train-split models, 150 steps/);
    expect(loadSchedulerWeights(out).training.models).to.have.length(3);
    const bad = await runSparoa(["train", "scheduler", "--zoo", join(dir, "nope"), "-o", out]);
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr.trim()).to.match(/nope: not a folder/);
  });
});
