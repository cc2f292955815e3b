// How values travel: kept on the worker that made them when it also reads them, sent worker to
// worker when another device reads them, back to the main thread only when they are model
// outputs. Random DAGs on three devices put every kind of route (and several at once) to work.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModel, saveModel } from "../../ir/index.ts";
import { NodeKey } from "../../ir/annotation-keys.ts";
import { loadPackage, RuntimeError, type Runtime } from "../../src/runtime/runtime.ts";
import { generateFeeds } from "../../src/runtime/generate-inputs.ts";
import { FIXTURES } from "../support/corpus.ts";
import { slices, writeHandPackage } from "../support/hand-package.ts";
import { randomDagModel } from "../support/random-dag.ts";
import { planRoutes } from "../../src/runtime/routes.ts";
import { annotatedTwoBranch, rejection } from "../support/runtime-helpers.ts";
import { expectClose, plainRun } from "./reference.ts";

const TINY_CNN = join(FIXTURES, "tiny-cnn.onnx");
const TWO_BRANCH = join(FIXTURES, "two-branch.onnx");

/** Transfers of the trace as "value: from -> to" lines for one request. */
function transfers(rt: Runtime, request: number): string[] {
  return rt.trace!.toJSON().traceEvents.filter((e) => e.cat === "transfer" && e.ph === "b" && e.args?.request === request).map((e) => e.name).sort();
}

describe("runtime routing", () => {
  let dir: string;
  let rt: Runtime | undefined;
  before(() => { dir = mkdtempSync(join(tmpdir(), "sparoa-routing-")); });
  afterEach(async () => { await rt?.close(); rt = undefined; });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("random DAGs on three devices: outputs equal the whole model, alone and with concurrent requests, and no worker keeps anything afterwards", async function () {
    this.timeout(300_000);
    let partitions = 0;
    let peerSends = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const model = randomDagModel({ nodes: 12 + 3 * seed, seed, devices: ["cpu", "dla", "npu"], constants: seed % 3 });
      for (const n of model.graph.nodes) n.metadata.set("sparoa.processor", String(n.annotations.get(NodeKey.processor)));
      const file = join(dir, `dag${seed}.onnx`);
      saveModel(model, file);
      rt = await loadPackage(model, { threads: 1, trace: true });
      partitions += rt.manifest.partitions.length;
      const feeds = Array.from({ length: 4 }, (_, i) => generateFeeds(rt!.manifest.source.inputs, 100 * seed + i));
      expectClose(await rt.run(feeds[0]!), await plainRun(file, feeds[0]!), 1e-4, 1e-5, `seed ${seed}`);
      const results = await Promise.all(feeds.map((f) => rt!.run(f)));
      for (let i = 0; i < feeds.length; i++) expectClose(results[i]!, await plainRun(file, feeds[i]!), 1e-4, 1e-5, `seed ${seed} concurrent request ${i}`);
      peerSends += transfers(rt, 1).filter((t) => !t.includes("main")).length;
      for (const device of ["cpu", "dla", "npu"]) if (rt.manifest.partitions.some((p) => p.processor === device)) expect(await rt.worker(device).held(), `seed ${seed} ${device}`).to.deep.equal({ requests: 0, values: 0 });
      await rt.close();
      rt = undefined;
    }
    expect(partitions).to.be.greaterThan(30);
    expect(peerSends).to.be.greaterThan(10);
  });

  it("plans routes from the manifest: kept where read, sent where read elsewhere, returned when a model output", async () => {
    rt = await loadPackage(annotatedTwoBranch(), { threads: 1 });
    const m = rt.manifest;
    const routes = planRoutes(m, ["cpu", "gpu"]);
    const gpu = routes.find((r) => r.processor === "gpu")!;
    const cpu = routes.find((r) => r.processor === "cpu")!;
    expect(gpu.inputs).to.deep.equal(["x"]);
    expect(cpu.inputs).to.deep.equal(["x"]);
    const right = gpu.partitions[0]!.outputs[0]!;
    expect(right.route).to.deep.equal({ local: false, peers: ["cpu"], main: false });
    const finals = cpu.partitions.flatMap((p) => p.outputs).filter((o) => o.route.main);
    expect(finals.map((o) => o.name)).to.deep.equal(m.source.outputs.map((t) => t.name));
    for (const p of cpu.partitions) for (const o of p.outputs) if (!o.route.main) expect(o.route, o.name).to.deep.equal({ local: true, peers: [], main: false });
    for (const [name, count] of Object.entries(cpu.readers)) expect(count, name).to.equal(m.partitions.filter((p) => p.processor === "cpu" && p.inputs.includes(name)).length);
  });

  it("keeps values on a device that reads them itself: 4 partitions on one device trade only the input and the output with the main thread", async () => {
    const pkg = join(dir, "tiny4");
    await writeHandPackage(TINY_CNN, pkg, slices(loadModel(TINY_CNN).graph.nodes.length, 4));
    rt = await loadPackage(pkg, { threads: 1, trace: true });
    const feeds = generateFeeds(rt.manifest.source.inputs, 1);
    expectClose(await rt.run(feeds), await plainRun(TINY_CNN, feeds));
    expect(transfers(rt, 1)).to.deep.equal(["image: main -> cpu", "logits: cpu -> main"]);
  });

  it("gets input buffers back from the workers and copies the next request's inputs into them", async () => {
    const pkg = join(dir, "tiny4-pool");
    await writeHandPackage(TINY_CNN, pkg, slices(loadModel(TINY_CNN).graph.nodes.length, 4));
    rt = await loadPackage(pkg, { threads: 1 });
    const feeds = generateFeeds(rt.manifest.source.inputs, 1);
    expect(rt.spareInputBytes).to.equal(0);
    for (let i = 0; i < 3; i++) {
      expectClose(await rt.run(feeds), await plainRun(TINY_CNN, feeds));
      // The one input copy went to the worker and came back once its reader had run.
      expect(rt.spareInputBytes).to.equal((feeds.image!.data as Float32Array).byteLength);
    }
  });

  it("sends a value another device reads straight to that worker", async () => {
    rt = await loadPackage(annotatedTwoBranch(), { threads: 1, trace: true });
    const feeds = generateFeeds(rt.manifest.source.inputs, 2, { batch: 3 });
    expectClose(await rt.run(feeds), await plainRun(TWO_BRANCH, feeds));
    const moves = transfers(rt, 1);
    expect(moves.filter((t) => t.endsWith("cpu -> main") || t.endsWith("gpu -> main"))).to.deep.equal([`${rt.manifest.source.outputs[0]!.name}: cpu -> main`]);
    expect(moves.filter((t) => t.includes("gpu -> cpu"))).to.have.length(1);
    expect(moves.filter((t) => t.startsWith("x: main"))).to.deep.equal(["x: main -> cpu", "x: main -> gpu"]);
  });

  it("a worker that dies while another waits for its value: the request fails, the waiting worker lets go of what it held, the next request succeeds", async () => {
    rt = await loadPackage(annotatedTwoBranch(), { threads: 1 });
    rt.worker("gpu").crashForTest("next-run");
    const e = await rejection(rt.run(generateFeeds(rt.manifest.source.inputs, 3, { batch: 4 })));
    expect(e).to.be.instanceOf(RuntimeError);
    expect(e.message).to.match(/^processor worker 'gpu' died while running partition \d/);
    expect(await rt.worker("cpu").held()).to.deep.equal({ requests: 0, values: 0 });
    const feeds = generateFeeds(rt.manifest.source.inputs, 4, { batch: 4 });
    expectClose(await rt.run(feeds), await plainRun(TWO_BRANCH, feeds));
    expect(await rt.worker("gpu").held()).to.deep.equal({ requests: 0, values: 0 });
  });
});
