// What the bundled runtime adds over a plain session (src/profiler/runtime-overhead.ts), measured
// here on real models: the figures must be the ones its own measurements imply.
import { expect } from "chai";
import { measureRuntimeOverhead } from "../../src/profiler/runtime-overhead.ts";
import { profileGrid } from "../../src/profiler/grid.ts";
import { median } from "../../src/profiler/measure.ts";

describe("runtime overhead over plain sessions", function () {
  this.timeout(60_000);

  it("takes the request's fixed cost from a one-Add model and the slowdown from whole models", async () => {
    const grid = new Map(profileGrid(false).map((c) => [c.id, c]));
    const models = ["conv c64 h56 k1", "matmul m64 k1024"].map((id) => ({ name: id, build: () => grid.get(id)!.build(4) }));
    const r = await measureRuntimeOverhead(models, { threads: 1, windowMs: 60 });
    expect(r.measurements.map((m) => m.model)).to.deep.equal(["one Add", ...models.map((m) => m.name)]);
    for (const m of r.measurements) expect(m.plainMs).to.be.above(0).and.below(1000);
    const [tiny, ...whole] = r.measurements;
    // A request through a worker crosses two threads and back: not free, and far from 5 ms.
    expect(r.requestUs).to.be.at.least(0).and.below(5000);
    expect(r.requestUs).to.be.closeTo(Math.max(0, tiny!.runtimeMs - tiny!.plainMs) * 1000, 0.01 * r.requestUs + 1e-3);
    const ratios = whole.map((m) => (m.runtimeMs - r.requestUs / 1000) / m.plainMs);
    expect(r.slowdown).to.be.closeTo(Math.min(2, Math.max(0.8, median(ratios))), 0.01);
  });
});
