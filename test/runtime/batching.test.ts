// Dynamic batching: concurrent requests are concatenated along the batch dimension and each
// gets exactly its own rows back; the tuner's choice follows its documented rule.
import { expect } from "chai";
import { join } from "node:path";
import { BatchQueue, BatchingError } from "../../src/runtime/batching.ts";
import { BatchTuner } from "../../src/runtime/batch-tuner.ts";
import { loadPackage, InputError, type Runtime } from "../../src/runtime/runtime.ts";
import { generateFeeds } from "../../src/runtime/generate-inputs.ts";
import { FIXTURES } from "../support/corpus.ts";
import { expectClose, plainRun } from "./reference.ts";

const TWO_BRANCH = join(FIXTURES, "two-branch.onnx");

describe("runtime dynamic batching", () => {
  let rt: Runtime;
  before(async () => { rt = await loadPackage(TWO_BRANCH, { threads: 1 }); });
  after(async () => { await rt.close(); });

  it("batches concurrent requests of different row counts and gives each its own outputs", async () => {
    const queue = new BatchQueue(rt, { policy: { maxBatch: 8, maxWaitMs: 30 } });
    expect(queue.symbol).to.equal("batch");
    const rows = [1, 2, 1, 3, 1];
    const feeds = rows.map((r, i) => generateFeeds(rt.manifest.source.inputs, 40 + i, { batch: r }));
    const results = await Promise.all(feeds.map((f) => queue.submit(f)));
    for (let i = 0; i < rows.length; i++) expectClose(results[i]!, await plainRun(TWO_BRANCH, feeds[i]!), 1e-4, 1e-5, `request ${i}`);
    expect(queue.history.reduce((a, b) => a + b.rows, 0)).to.equal(8);
    expect(queue.history[0]!.requests).to.be.greaterThan(1);
    expect(Math.max(...queue.history.map((b) => b.rows))).to.be.at.most(8);
  });

  it("fails a bad request alone, before it joins a batch", async () => {
    const queue = new BatchQueue(rt, { policy: { maxBatch: 4, maxWaitMs: 5 } });
    const good = generateFeeds(rt.manifest.source.inputs, 1, { batch: 1 });
    const [ok, bad] = await Promise.allSettled([queue.submit(good), queue.submit({ y: good.x! })]);
    expect(ok.status).to.equal("fulfilled");
    expect(bad.status).to.equal("rejected");
    expect((bad as PromiseRejectedResult).reason).to.be.instanceOf(InputError);
  });

  it("refuses a model without a symbolic batch dimension, saying which tensor", async () => {
    const fixed = await loadPackage(join(FIXTURES, "tiny-cnn.onnx"), { threads: 1 });
    try {
      expect(() => new BatchQueue(fixed, { policy: { maxBatch: 4, maxWaitMs: 1 } })).to.throw(BatchingError, /^input 'image' has no symbolic batch dimension \(shape \[1,3,32,32\]\)/);
    } finally {
      await fixed.close();
    }
  });

  it("tuner: explores sizes while 2 x service fits the bound, picks the best throughput, waits what is left", () => {
    const tuner = new BatchTuner({ maxLatencyMs: 40, limit: 64, samples: 3 });
    const service = (b: number) => 5 + b; // throughput b/(5+b) grows with b
    const seen: number[] = [];
    for (let i = 0; i < 100 && tuner.state().phase === "explore"; i++) {
      const b = tuner.policy().maxBatch;
      seen.push(b);
      tuner.record(b, service(b), [service(b)]);
    }
    expect([...new Set(seen)]).to.deep.equal([1, 2, 4, 8, 16]); // 16: 2 x 21 ms > 40 ms ends the search
    expect(tuner.policy()).to.deep.equal({ maxBatch: 8, maxWaitMs: 13 }); // min(s(8), 40 - 2 x s(8))
  });

  it("tuner: settles on what arrivals can fill when batches keep closing part-full", () => {
    const tuner = new BatchTuner({ maxLatencyMs: 100, samples: 2 });
    for (let i = 0; i < 50 && tuner.state().phase === "explore"; i++) {
      const b = Math.min(tuner.policy().maxBatch, 4); // only 4 requests ever wait together
      tuner.record(b, 10 + b, [10 + b]);
    }
    expect(tuner.state().phase).to.equal("exploit");
    expect(tuner.policy().maxBatch).to.equal(4);
  });
});
