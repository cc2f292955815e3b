// Fails every test that passes without running a single chai assertion: a test that returns
// early, loops over an empty list or only logs can never fail, so it must not count as passing.
// Loaded for the whole suite from .mocharc.json ("require"). Every chai assertion goes through
// Assertion#assert; the counter is global because mocha runs one test at a time.
import * as chai from "chai";
import Mocha from "mocha";

let assertions = 0;
const assertOriginal = chai.Assertion.prototype.assert;
chai.Assertion.prototype.assert = function (this: Chai.AssertionStatic, ...args: Parameters<typeof assertOriginal>) {
  assertions++;
  return assertOriginal.apply(this, args);
};

/** Assertions made so far (for the guard's own test). */
export function assertionCount(): number {
  return assertions;
}

function noAssertion(title: string): Error {
  return new Error(`test '${title}' passed without running any assertion: it cannot fail (assert on its result, or skip it with a reason)`);
}

type TestFn = (this: Mocha.Context, done?: Mocha.Done) => unknown;

/** `fn` with a check that it made at least one assertion; keeps its arity (mocha tells callback tests by it). */
export function guarded(fn: TestFn, title: () => string): TestFn {
  if (fn.length > 0) {
    return function (this: Mocha.Context, done?: Mocha.Done) {
      const before = assertions;
      return fn.call(this, (err?: unknown) => done!(err ?? (assertions === before ? noAssertion(title()) : undefined)));
    };
  }
  return function (this: Mocha.Context) {
    const before = assertions;
    const check = () => { if (assertions === before) throw noAssertion(title()); };
    const result = fn.call(this);
    if (result && typeof (result as Promise<unknown>).then === "function") return (result as Promise<unknown>).then((value) => { check(); return value; });
    check();
    return result;
  };
}

const addTest = Mocha.Suite.prototype.addTest;
Mocha.Suite.prototype.addTest = function (this: Mocha.Suite, test: Mocha.Test) {
  if (test.fn) test.fn = guarded(test.fn as TestFn, () => test.fullTitle()) as Mocha.Func;
  return addTest.call(this, test);
};
