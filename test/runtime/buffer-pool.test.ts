import { expect } from "chai";
import { BufferPool } from "../../src/runtime/buffer-pool.ts";

describe("runtime buffer pool", () => {
  it("reuses a given buffer for the next take of its size, and only of its size", () => {
    const pool = new BufferPool();
    const a = new ArrayBuffer(64);
    pool.give(a);
    expect(pool.held).to.equal(64);
    expect(pool.take(32)).to.not.equal(a);
    expect(pool.take(64)).to.equal(a);
    expect(pool.held).to.equal(0);
    expect(pool.take(64)).to.not.equal(a);
  });

  it("keeps at most perSize buffers of a size and maxBytes in all; ignores transferred (empty) buffers", () => {
    const pool = new BufferPool(2, 100);
    for (let i = 0; i < 3; i++) pool.give(new ArrayBuffer(30));
    expect(pool.held).to.equal(60);
    pool.give(new ArrayBuffer(50));
    expect(pool.held).to.equal(60);
    pool.give(new ArrayBuffer(40));
    expect(pool.held).to.equal(100);
    const moved = new ArrayBuffer(8);
    structuredClone(moved, { transfer: [moved] });
    pool.give(moved);
    expect(pool.held).to.equal(100);
  });

  it("copies a view (offset and all) into a pooled buffer", () => {
    const pool = new BufferPool();
    const spare = new ArrayBuffer(3);
    pool.give(spare);
    const source = new Uint8Array([9, 1, 2, 3, 9]);
    const out = pool.copy(source.subarray(1, 4));
    expect(out).to.equal(spare);
    expect([...new Uint8Array(out)]).to.deep.equal([1, 2, 3]);
  });
});
