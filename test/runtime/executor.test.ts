// The executor on hand-made packages: partitioned outputs equal the whole model's, independent
// partitions on two devices, concurrent requests, and the trace.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { loadModel } from "../../ir/index.ts";
import { loadPackage, type Runtime } from "../../src/runtime/runtime.ts";
import { generateFeeds } from "../../src/runtime/generate-inputs.ts";
import { FIXTURES } from "../support/corpus.ts";
import { slices, writeHandPackage } from "../support/hand-package.ts";
import { expectClose, plainRun } from "./reference.ts";

const TWO_BRANCH = join(FIXTURES, "two-branch.onnx");
const TINY_CNN = join(FIXTURES, "tiny-cnn.onnx");

describe("runtime executor", () => {
  let dir: string;
  let rt: Runtime | undefined;
  before(() => { dir = mkdtempSync(join(tmpdir(), "sparoa-rt-")); });
  afterEach(async () => { await rt?.close(); rt = undefined; });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("runs two-branch split into left (cpu), right (gpu) and join: equal to the whole model", async () => {
    const pkg = join(dir, "two-branch");
    const manifest = await writeHandPackage(TWO_BRANCH, pkg, (n) => ({
      partition: n.name.startsWith("left") ? 0 : n.name.startsWith("right") ? 1 : 2,
      processor: n.name.startsWith("right") ? "gpu" : "cpu",
    }));
    expect(manifest.partitions.map((p) => [p.processor, p.dependsOn])).to.deep.equal([["cpu", []], ["gpu", []], ["cpu", [0, 1]]]);
    rt = await loadPackage(pkg, { threads: 1 });
    expect(rt.describeProcessors()).to.deep.equal(["cpu -> cpu, 1 thread", "gpu -> cpu (no GPU on this host: the 'gpu' partitions run on the CPU), 1 thread"]);
    const feeds = generateFeeds(rt.manifest.source.inputs, 3, { batch: 5 });
    expectClose(await rt.run(feeds), await plainRun(TWO_BRANCH, feeds));
  });

  it("runs a processor-annotated whole model (metadata_props sparoa.processor) without a package folder", async () => {
    const model = loadModel(TINY_CNN);
    model.graph.nodes.forEach((n, i) => n.metadata.set("sparoa.processor", i % 3 === 0 ? "gpu" : "cpu"));
    rt = await loadPackage(model, { processorMap: "gpu=cpu" });
    expect(rt.manifest.partitions.length).to.be.greaterThan(3);
    expect(rt.describeProcessors()[1]).to.match(/^gpu -> cpu \(mapped by the processor map/);
    const feeds = generateFeeds(rt.manifest.source.inputs, 4);
    expectClose(await rt.run(feeds), await plainRun(TINY_CNN, feeds));
  });

  it("cuts tiny-cnn into 4 partitions on one device and matches; concurrent requests each get their own answer", async () => {
    const pkg = join(dir, "tiny4");
    await writeHandPackage(TINY_CNN, pkg, slices(loadModel(TINY_CNN).graph.nodes.length, 4));
    rt = await loadPackage(pkg, { threads: 1 });
    expect(rt.manifest.partitions).to.have.length(4);
    const feeds = Array.from({ length: 6 }, (_, i) => generateFeeds(rt!.manifest.source.inputs, 10 + i));
    const results = await Promise.all(feeds.map((f) => rt!.run(f)));
    for (let i = 0; i < feeds.length; i++) expectClose(results[i]!, await plainRun(TINY_CNN, feeds[i]!), 1e-4, 1e-5, `request ${i}`);
    // Different inputs give different outputs: nothing was mixed up between requests.
    expect(results[0]!.logits!.data).to.not.deep.equal(results[1]!.logits!.data);
  });

  it("leaves the caller's input buffers intact (transfers copies, not the feeds)", async () => {
    rt = await loadPackage(TWO_BRANCH);
    const x = generateFeeds(rt.manifest.source.inputs, 1, { batch: 2 }).x!;
    const before = Float32Array.from(x.data as Float32Array);
    await rt.run({ x });
    expect((x.data as Float32Array).byteLength).to.equal(before.byteLength);
    expect(Array.from(x.data as Float32Array)).to.deep.equal(Array.from(before));
  });

  it("runs independent partitions at the same time and records a trace with a track per device", async () => {
    const pkg = join(dir, "two-branch-trace");
    await writeHandPackage(TWO_BRANCH, pkg, (n) => ({ partition: n.name.startsWith("right") ? 0 : 1, processor: n.name.startsWith("right") ? "gpu" : "cpu" }));
    rt = await loadPackage(pkg, { threads: 1, trace: true });
    const feeds = generateFeeds(rt.manifest.source.inputs, 1, { batch: 64 });
    for (let i = 0; i < 3; i++) await rt.run(feeds);
    const events = rt.trace!.toJSON().traceEvents;
    const names = events.filter((e) => e.ph === "M" && e.name === "thread_name").map((e) => String(e.args!.name));
    expect(names.some((n) => n.startsWith("processor cpu"))).to.equal(true);
    expect(names.some((n) => n.startsWith("processor gpu -> cpu"))).to.equal(true);
    expect(events.filter((e) => e.cat === "transfer" && e.ph === "b").length).to.equal(3 * 2 * 2);
    expect(events.filter((e) => e.cat === "request" && e.ph === "b").length).to.equal(3);
    const stats = rt.processorStats();
    expect(stats.map((s) => s.processor)).to.deep.equal(["cpu", "gpu"]);
    for (const s of stats) expect(s.busyMs).to.be.greaterThan(0);
  });

  it("runs a plain model (no annotations) as one partition on the CPU", async () => {
    const model = join(dir, "plain-tiny.onnx");
    const { copyFileSync } = await import("node:fs");
    copyFileSync(TINY_CNN, model);
    rt = await loadPackage(model);
    expect(rt.manifest.partitions).to.have.length(1);
    const feeds = { image: new ort.Tensor("float32", new Float32Array(3 * 32 * 32).fill(0.25), [1, 3, 32, 32]) };
    expectClose(await rt.run(feeds), await plainRun(TINY_CNN, feeds));
  });
});
