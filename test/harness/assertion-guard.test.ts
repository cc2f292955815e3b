// The suite-wide guard (test/support/assertion-guard.ts) fails a test that ran no assertion,
// synchronous, async or callback-style, and lets one that asserted pass.
import { expect } from "chai";
import { guarded } from "../support/assertion-guard.ts";

const title = () => "t";
const ctx = {} as Mocha.Context;

describe("assertion guard", () => {
  it("fails a synchronous test without assertions and passes one with", () => {
    expect(() => guarded(() => {}, title).call(ctx)).to.throw(/test 't' passed without running any assertion/);
    expect(() => guarded(() => { expect(1).to.equal(1); }, title).call(ctx)).to.not.throw();
  });

  it("fails an async test that returns before asserting", async () => {
    let message = "";
    try { await guarded(async () => { await Promise.resolve(); }, title).call(ctx); } catch (e) { message = (e as Error).message; }
    expect(message).to.match(/without running any assertion/);
    await guarded(async () => { expect(await Promise.resolve(2)).to.equal(2); }, title).call(ctx);
  });

  it("fails a callback test that calls done() without asserting, and keeps the arity mocha reads", async () => {
    const fn = guarded(function (done) { done!(); }, title);
    expect(fn.length).to.equal(1);
    const err = await new Promise<unknown>((resolve) => { fn.call(ctx, resolve as Mocha.Done); });
    expect((err as Error).message).to.match(/without running any assertion/);
    const ok = await new Promise<unknown>((resolve) => { guarded(function (done) { expect(true).to.equal(true); done!(); }, title).call(ctx, resolve as Mocha.Done); });
    expect(ok).to.equal(undefined);
  });
});
