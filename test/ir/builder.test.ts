// The builder keeps producer/use links true; the IR scales to very deep graphs without recursion.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Builder, DataType, Graph, Model, assertValid, loadModel, saveModel, tensorType, topologicalOrder, verifyModel, CycleError } from "../../ir/index.ts";
import { printModel } from "../../ir/print/text.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { PassManager } from "../../passes/manager.ts";
import { instantiate, parsePipeline } from "../../passes/pipeline.ts";

registerBuiltinPasses();

function chain(n: number): Model {
  const g = new Graph("chain");
  const b = new Builder(g);
  let v = b.input("x", tensorType(DataType.FLOAT, [1, 4]));
  for (let i = 0; i < n; i++) v = b.op1("Relu", [v], { name: `r${i}` });
  b.output(v);
  return new Model(g, { irVersion: 8, opsets: { "": 13 } });
}

describe("IR builder and graph links", () => {
  it("tracks producers and uses through create, replace and remove", () => {
    const g = new Graph("g");
    const b = new Builder(g);
    const x = b.input("x", tensorType(DataType.FLOAT, [2]));
    const a = b.op1("Relu", [x]);
    const c = b.op1("Neg", [a]);
    b.output(c);
    expect(a.producer?.opType).to.equal("Relu");
    expect(a.uses.map((u) => u.node.opType)).to.deep.equal(["Neg"]);
    b.setInsertionPoint(c.producer);
    const s = b.op1("Sigmoid", [x]);
    b.replaceNode(a.producer!, [s]);
    expect(g.nodes.map((n) => n.opType)).to.deep.equal(["Sigmoid", "Neg"]);
    expect(a.uses).to.have.length(0);
    expect(s.uses.map((u) => u.node.opType)).to.deep.equal(["Neg"]);
    expect(x.uses.map((u) => u.node.opType)).to.deep.equal(["Sigmoid"]);
    expect(verifyModel(new Model(g))).to.deep.equal([]);
  });

  it("refuses to remove a node whose output is still read, naming it", () => {
    const g = new Graph("g");
    const b = new Builder(g);
    const x = b.input("x");
    const a = b.op1("Relu", [x], { name: "first" });
    b.output(b.op1("Neg", [a], { name: "second" }));
    expect(() => b.removeNode(a.producer!)).to.throw(/read by 'second'/);
  });

  it("imports, sorts, verifies, prints and exports a 100,000-node chain without overflowing the stack", async function () {
    const n = 100_000;
    const model = chain(n);
    // Reverse the order so the sort has real work to do.
    model.graph.reorder([...model.graph.nodes].reverse());
    expect(verifyModel(model).length).to.be.greaterThan(0);
    await new PassManager(instantiate(parsePipeline("topo-sort,dce"))).run(model);
    assertValid(model);
    expect(topologicalOrder(model.graph)[0]!.name).to.equal("r0");
    const text = printModel(model);
    expect(text.split("\n").length).to.be.greaterThan(n);
    const dir = mkdtempSync(join(tmpdir(), "sparoa-chain-"));
    try {
      saveModel(model, join(dir, "chain.onnx"));
      const back = loadModel(join(dir, "chain.onnx"));
      expect(back.graph.nodes).to.have.length(n);
      assertValid(back);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("detects a cycle and names the nodes on it", () => {
    const g = new Graph("loop");
    const b = new Builder(g);
    const x = b.input("x");
    const a = b.op("Add", [x, null], { name: "a" });
    const c = b.op("Relu", [a.outputs[0]!], { name: "c" });
    a.setInput(1, c.outputs[0]!);
    b.output(c.outputs[0]!);
    expect(() => topologicalOrder(g)).to.throw(CycleError, /cycle: (a -> c -> a|c -> a -> c)/);
    expect(verifyModel(new Model(g)).join("\n")).to.match(/cycle/);
  });
});
