// The verifier names the graph, node and value of each broken rule.
import { expect } from "chai";
import { Builder, Graph, Model, Node, Value, verifyModel } from "../../ir/index.ts";

describe("verifier", () => {
  it("reports an input that is not defined in scope", () => {
    const g = new Graph("g");
    const b = new Builder(g);
    const stray = new Value("ghost");
    b.output(b.op1("Relu", [stray], { name: "r" }));
    expect(verifyModel(new Model(g)).join("\n")).to.match(/node 'r' \(Relu\) input 0 'ghost' is not defined in scope/);
  });

  it("reports double assignment", () => {
    const g = new Graph("g");
    const b = new Builder(g);
    const x = b.input("x");
    const a = b.op1("Relu", [x], { name: "r1" });
    const c = b.op1("Relu", [x], { name: "r2" });
    c.name = a.name;
    b.output(c);
    expect(verifyModel(new Model(g)).join("\n")).to.match(/value 'r1_out0' is assigned more than once/);
  });

  it("reports a read before the producer in node order", () => {
    const g = new Graph("g");
    const b = new Builder(g);
    const x = b.input("x");
    const a = b.op1("Relu", [x], { name: "first" });
    const c = b.op1("Neg", [a], { name: "second" });
    b.output(c);
    g.reorder([c.producer!, a.producer!]);
    expect(verifyModel(new Model(g)).join("\n")).to.match(/node 'second' \(Neg\) reads 'first_out0' before node 'first' \(Relu\) produces it/);
  });

  it("accepts subgraphs that read outer-scope values and rejects ones that read undefined names", () => {
    const outer = new Graph("outer");
    const b = new Builder(outer);
    const x = b.input("x");
    const cond = b.input("cond");
    const thenG = new Graph("then");
    const inner = new Node("Relu", [x], [new Value("t")], { name: "inner_relu" });
    thenG.appendNode(inner);
    thenG.outputs.push(inner.outputs[0]!);
    const ifNode = b.op("If", [cond], { name: "if", attributes: [{ name: "then_branch", kind: "graph", value: thenG }] });
    b.output(ifNode.outputs[0]!);
    expect(verifyModel(new Model(outer))).to.deep.equal([]);
    inner.setInput(0, new Value("nowhere"));
    expect(verifyModel(new Model(outer)).join("\n")).to.match(/graph 'then': node 'inner_relu' \(Relu\) input 0 'nowhere' is not defined in scope/);
  });
});
