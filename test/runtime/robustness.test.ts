// Bad input is refused before anything runs; a dead worker fails its request cleanly and is
// replaced; close() leaves no worker thread behind.
import { expect } from "chai";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { InputError, loadPackage, RuntimeError, type Runtime } from "../../src/runtime/runtime.ts";
import { generateFeeds } from "../../src/runtime/generate-inputs.ts";
import { FIXTURES } from "../support/corpus.ts";
import { annotatedTwoBranch, rejection } from "../support/runtime-helpers.ts";
import { expectClose, plainRun } from "./reference.ts";

const TWO_BRANCH = join(FIXTURES, "two-branch.onnx");

/** Worker threads this process still has (each holds a MessagePort resource). */
const liveMessagePorts = () => process.getActiveResourcesInfo().filter((r) => r === "MessagePort").length;

describe("runtime robustness", () => {
  let rt: Runtime;
  before(async () => { rt = await loadPackage(annotatedTwoBranch(), { threads: 1 }); });
  after(async () => { await rt.close(); });

  const x = (dims: number[], type: "float32" | "float64" = "float32") =>
    new ort.Tensor(type, type === "float32" ? new Float32Array(dims.reduce((a, b) => a * b, 1)) : new Float64Array(dims.reduce((a, b) => a * b, 1)), dims);

  const bad: [string, () => Record<string, ort.Tensor>, RegExp][] = [
    ["a wrong input name", () => ({ X: x([1, 256]) }), /^input 'X': the model has no such input \(did you mean 'x'\?\) \(inputs: x\)$/],
    ["a missing input", () => ({}), /^missing input 'x' \(f32\[batch,256\]\)$/],
    ["a wrong dtype", () => ({ x: x([1, 256], "float64") }), /^input 'x': dtype f64, the model expects f32$/],
    ["a wrong rank", () => ({ x: x([256]) }), /^input 'x': shape \[256\] has rank 1, the model expects rank 2 \[batch,256\]$/],
    ["a wrong fixed dimension", () => ({ x: x([1, 255]) }), /^input 'x': shape \[1,255\], the model expects \[batch,256\] \(axis 1 must be 256\)$/],
  ];
  for (const [what, feeds, message] of bad) {
    it(`refuses ${what} with one line before any partition runs`, async () => {
      rt.resetStats();
      const e = await rejection(rt.run(feeds()));
      expect(e).to.be.instanceOf(InputError);
      expect(e.message).to.match(message);
      expect(rt.processorStats().every((s) => s.busyMs === 0)).to.equal(true);
    });
  }

  it("fails the in-flight request when its worker dies mid-request, restarts the worker, and the next request succeeds", async () => {
    rt.worker("gpu").crashForTest("next-run");
    const e = await rejection(rt.run(generateFeeds(rt.manifest.source.inputs, 5, { batch: 8 })));
    expect(e).to.be.instanceOf(RuntimeError);
    expect(e.message).to.match(/^processor worker 'gpu' died while running partition \d \(worker crash requested during a run \(test hook\)\); the request failed, the worker is being restarted$/);
    const small = generateFeeds(rt.manifest.source.inputs, 6, { batch: 4 });
    expectClose(await rt.run(small), await plainRun(TWO_BRANCH, small));
    expect(rt.worker("gpu").restarts).to.equal(1);
  });

  it("survives a worker that crashes from an uncaught exception", async () => {
    rt.worker("cpu").crashForTest("now");
    await new Promise((r) => setTimeout(r, 200));
    const small = generateFeeds(rt.manifest.source.inputs, 7, { batch: 2 });
    expectClose(await rt.run(small), await plainRun(TWO_BRANCH, small));
    expect(rt.worker("cpu").restarts).to.equal(1);
  });

  it("close() ends every worker thread, also with a request in flight; later runs are refused", async () => {
    const other = await loadPackage(annotatedTwoBranch(), { threads: 1 });
    expect(other.liveWorkers).to.equal(2);
    const before = liveMessagePorts();
    const inflight = rejection(other.run(generateFeeds(other.manifest.source.inputs, 5, { batch: 2000 })));
    await other.close();
    expect(other.liveWorkers).to.equal(0);
    expect(liveMessagePorts()).to.equal(before - 2);
    expect((await inflight).message).to.match(/closed/);
    expect((await rejection(other.run({ x: x([1, 256]) }))).message).to.equal("the runtime is closed");
  });
});
