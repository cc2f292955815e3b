// The parts of ONNX the conformance corpus barely has: model-local functions (with attribute
// references), sparse initializers and sparse Constant values, subgraphs reading outer-scope
// values, metadata_props at every level, unknown fields, initializer bytes as views. Each
// model is built in the IR, saved, loaded back, exported both ways (reusing the file's
// messages, and fresh) and run in onnxruntime against values computed here.
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Builder, DataType, Graph, Model, SparseTensor, Tensor, Value, floatAttr, intAttr, loadModel, modelBytes, saveModel, tensorType, verifyModel,
  type ModelFunction,
} from "../../ir/index.ts";
import { decodeModel, encodeModel } from "../../ir/onnx/proto.ts";
import { encodeModelChunks } from "../../ir/onnx/chunked-encode.ts";
import { printModel } from "../../ir/print/text.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { PassManager } from "../../passes/manager.ts";
import { instantiate, parsePipeline } from "../../passes/pipeline.ts";
import { FIXTURES } from "../support/corpus.ts";
import { runOrt } from "../support/ort-run.ts";

registerBuiltinPasses();

const f32 = (name: string, dims: number[], data: number[]) => Tensor.fromArray(name, DataType.FLOAT, dims, Float32Array.from(data));
const i64 = (name: string, dims: number[], data: number[]) => Tensor.fromArray(name, DataType.INT64, dims, BigInt64Array.from(data.map(BigInt)));
const bool = (name: string, value: boolean) => Tensor.fromArray(name, DataType.BOOL, [], Uint8Array.of(value ? 1 : 0));

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), "sparoa-features-")); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

/**
 * Saves `model`, loads it back, checks it verifies and re-encodes byte-identically, then runs
 * the file, the re-encoding and the fresh export in onnxruntime; returns the loaded model and
 * the outputs (all three must agree).
 */
async function roundTrip(name: string, model: Model, feeds: Record<string, Tensor>): Promise<{ loaded: Model; outputs: number[][] }> {
  const path = join(dir, `${name}.onnx`);
  saveModel(model, path);
  const loaded = loadModel(path);
  expect(verifyModel(loaded)).to.deep.equal([]);
  const file = readFileSync(path);
  expect(Buffer.from(modelBytes(loaded)).equals(file), "re-encoding is byte-identical").to.equal(true);
  const fresh = modelBytes(loaded, { fresh: true });
  const results = [await runOrt(path, feeds), await runOrt(modelBytes(loaded), feeds), await runOrt(fresh, feeds)];
  const outputs = results.map((r) => r.map((t) => t.toNumbers()));
  expect(outputs[1]).to.deep.equal(outputs[0]);
  expect(outputs[2]).to.deep.equal(outputs[0]);
  return { loaded, outputs: outputs[0]! };
}

function close(actual: number[], expected: number[]): void {
  expect(actual).to.have.length(expected.length);
  actual.forEach((a, i) => expect(a).to.be.closeTo(expected[i]!, 1e-5));
}

describe("ONNX features through the IR, checked by onnxruntime", () => {
  it("model-local functions, with an attribute reference, called from the main graph", async () => {
    const body = new Graph("AddLeaky");
    const fb = new Builder(body);
    const a = fb.input("a");
    const b = fb.input("b");
    const sum = fb.op1("Add", [a, b], { name: "add" });
    fb.output(fb.op1("LeakyRelu", [sum], { name: "leaky", attributes: [{ name: "alpha", kind: "ref", value: "slope", refType: 1 }] }));
    const fn: ModelFunction = {
      name: "AddLeaky", domain: "local", overload: "", body, attributeNames: ["slope"], attributeDefaults: [],
      opsetImports: new Map([["", 18]]), docString: "relu(a+b) with a leak", metadata: new Map([["fn.key", "fn.value"]]), source: undefined,
    };
    const g = new Graph("main");
    const mb = new Builder(g);
    const x = mb.input("x", tensorType(DataType.FLOAT, [4]));
    const y = mb.input("y", tensorType(DataType.FLOAT, [4]));
    const out = mb.op1("AddLeaky", [x, y], { name: "call", domain: "local", attributes: [floatAttr("slope", 0.5)] });
    out.type = tensorType(DataType.FLOAT, [4]);
    mb.output(out);
    const model = new Model(g, { irVersion: 10, opsets: { "": 18, local: 1 } });
    model.functions.push(fn);

    const xs = [1, -2, 3, -4];
    const ys = [0.5, 0.5, -5, 1];
    const { loaded, outputs } = await roundTrip("function", model, { x: f32("x", [4], xs), y: f32("y", [4], ys) });
    close(outputs[0]!, xs.map((v, i) => (v + ys[i]! >= 0 ? v + ys[i]! : 0.5 * (v + ys[i]!))));
    const f = loaded.functions[0]!;
    expect([f.name, f.domain, f.attributeNames, f.docString, f.metadata.get("fn.key")]).to.deep.equal(["AddLeaky", "local", ["slope"], "relu(a+b) with a leak", "fn.value"]);
    expect(f.body.nodes[1]!.attr("alpha")).to.include({ kind: "ref", value: "slope" });
    expect(printModel(loaded)).to.include("func local::AddLeaky");

    // An edit inside the function body is exported (the function's message is rebuilt).
    const leaky = f.body.nodes[1]!;
    const fb2 = new Builder(f.body);
    fb2.setInsertionPoint(leaky);
    fb2.replaceNode(leaky, [fb2.op1("Sigmoid", [leaky.inputs[0]!], { name: "sig" })]);
    const edited = await runOrt(modelBytes(loaded), { x: f32("x", [4], xs), y: f32("y", [4], ys) });
    close(edited[0]!.toNumbers(), xs.map((v, i) => 1 / (1 + Math.exp(-(v + ys[i]!)))));
  });

  it("sparse initializers (linear and coordinate indices) and a sparse Constant value", async () => {
    // W[3,4] with three non-zeros, indices as linear positions; V[3,4] the same by coordinates.
    const dense = [0, 2, 0, 0, 0.5, 0, 0, 0, 0, 0, 0, -1];
    const w = new SparseTensor(f32("W", [3], [2, 0.5, -1]), i64("W_idx", [3], [1, 4, 11]), [3, 4]);
    const v = new SparseTensor(f32("V", [3], [2, 0.5, -1]), i64("V_idx", [3, 2], [0, 1, 1, 0, 2, 3]), [3, 4]);
    expect(w.toDense().toNumbers()).to.deep.equal(dense);
    expect(v.toDense().toNumbers()).to.deep.equal(dense);

    const g = new Graph("sparse");
    const b = new Builder(g);
    const x = b.input("x", tensorType(DataType.FLOAT, [2, 3]));
    for (const s of [w, v]) {
      const value = new Value(s.name, tensorType(DataType.FLOAT, [3, 4]));
      value.sparseInitializer = s;
      value.graph = g;
      g.sparseInitializers.push(value);
    }
    const [wv, vv] = g.sparseInitializers;
    const c = b.op1("Constant", [], { name: "c", attributes: [{ name: "sparse_value", kind: "sparse_tensor", value: new SparseTensor(f32("C", [1], [10]), i64("C_idx", [1], [2]), [4]) }] });
    const y = b.op1("Add", [b.op1("Add", [b.op1("MatMul", [x, wv!]), b.op1("MatMul", [x, vv!])]), c], { name: "y" });
    y.type = tensorType(DataType.FLOAT, [2, 4]);
    b.output(y);
    const model = new Model(g, { irVersion: 10, opsets: { "": 18 } });

    const xs = [1, 2, 3, -1, 0, 1];
    const { loaded, outputs } = await roundTrip("sparse", model, { x: f32("x", [2, 3], xs) });
    const expected: number[] = [];
    for (let r = 0; r < 2; r++) for (let col = 0; col < 4; col++) {
      let acc = 0;
      for (let k = 0; k < 3; k++) acc += xs[r * 3 + k]! * dense[k * 4 + col]!;
      expected.push(2 * acc + (col === 2 ? 10 : 0));
    }
    close(outputs[0]!, expected);
    expect(loaded.graph.sparseInitializers.map((s) => [s.name, s.sparseInitializer!.nnz])).to.deep.equal([["W", 3], ["V", 3]]);
    expect(printModel(loaded)).to.include("%W = sparse_initializer sparse f32[3,4] nnz=3");
    expect(printModel(loaded)).to.include("{sparse_value=sparse f32[4] nnz=1}");
  });

  it("If and Loop bodies that read outer-scope values survive cleanup and export", async () => {
    const g = new Graph("outer");
    const b = new Builder(g);
    const x = b.input("x", tensorType(DataType.FLOAT, [3]));
    const cond = b.input("cond", tensorType(DataType.BOOL, []));
    const sq = b.op1("Mul", [x, x], { name: "square" }); // read only inside the subgraphs

    const thenG = new Graph("then");
    const tb = new Builder(thenG);
    thenG.outputs.push(tb.op1("Add", [x, sq], { name: "then_add" }));
    const elseG = new Graph("else");
    const eb = new Builder(elseG);
    elseG.outputs.push(eb.op1("Neg", [sq], { name: "else_neg" }));
    for (const o of [...thenG.outputs, ...elseG.outputs]) o.type = tensorType(DataType.FLOAT, [3]);
    const branch = b.op1("If", [cond], { name: "if", attributes: [{ name: "then_branch", kind: "graph", value: thenG }, { name: "else_branch", kind: "graph", value: elseG }] });

    // Loop 3 times: acc += sq (outer), starting from the If's result.
    const body = new Graph("body");
    const lb = new Builder(body);
    lb.input("i", tensorType(DataType.INT64, []));
    const condIn = lb.input("cond_in", tensorType(DataType.BOOL, []));
    const acc = lb.input("acc", tensorType(DataType.FLOAT, [3]));
    const condOut = lb.op1("Identity", [condIn], { name: "keep_going" });
    const accOut = lb.op1("Add", [acc, sq], { name: "accumulate" });
    condOut.type = tensorType(DataType.BOOL, []);
    accOut.type = tensorType(DataType.FLOAT, [3]);
    body.outputs.push(condOut, accOut);
    const trips = b.initializer(i64("trips", [], [3]));
    const yes = b.initializer(bool("yes", true));
    const loop = b.op1("Loop", [trips, yes, branch], { name: "loop", attributes: [{ name: "body", kind: "graph", value: body }] });
    loop.type = tensorType(DataType.FLOAT, [3]);
    b.output(loop);
    b.op1("Relu", [x], { name: "dead" }); // really dead: removed by cleanup
    const model = new Model(g, { irVersion: 8, opsets: { "": 13 } });

    const runs = await new PassManager(instantiate(parsePipeline("cleanup"))).run(model);
    expect(runs.find((r) => r.pass.name === "dce")!.result.statistics).to.deep.equal({ "nodes-removed": 1, "initializers-removed": 0 });
    expect(g.nodes.map((n) => n.name)).to.deep.equal(["square", "if", "loop"]);
    expect(sq.uses.map((u) => u.node.name).sort()).to.deep.equal(["accumulate", "else_neg", "then_add"]);

    const xs = [1, -2, 0.5];
    for (const c of [true, false]) {
      const { outputs } = await roundTrip(`scopes-${c}`, model, { x: f32("x", [3], xs), cond: bool("cond", c) });
      close(outputs[0]!, xs.map((v) => (c ? v + v * v : -v * v) + 3 * v * v));
    }
  });

  it("keeps metadata_props at model, graph, node, value and function level, reused or fresh", async () => {
    const model = loadModel(join(FIXTURES, "tiny-cnn.onnx"));
    model.irVersion = 10;
    model.metadata.set("model.key", "m");
    model.graph.metadata.set("graph.key", "g");
    model.graph.nodes[0]!.metadata.set("node.key", "n");
    model.graph.outputs[0]!.metadata.set("value.key", "v");
    model.docString = "documented";
    const path = join(dir, "meta.onnx");
    saveModel(model, path);
    for (const bytes of [readFileSync(path), modelBytes(loadModel(path)), modelBytes(loadModel(path), { fresh: true })]) {
      const proto = decodeModel(bytes);
      expect(proto.metadataProps.map((e) => [e.key, e.value])).to.deep.equal([["model.key", "m"]]);
      expect(proto.graph!.metadataProps.map((e) => [e.key, e.value])).to.deep.equal([["graph.key", "g"]]);
      expect(proto.graph!.node[0]!.metadataProps.map((e) => [e.key, e.value])).to.deep.equal([["node.key", "n"]]);
      expect(proto.graph!.output[0]!.metadataProps.map((e) => [e.key, e.value])).to.deep.equal([["value.key", "v"]]);
      expect(proto.docString).to.equal("documented");
    }
    const loaded = loadModel(path);
    expect(loaded.graph.nodes[0]!.metadata.get("node.key")).to.equal("n");
    await runOrt(path, { image: f32("image", [1, 3, 32, 32], new Array(3072).fill(0.1)) }); // onnxruntime accepts all of it
  });

  it("keeps fields the schema does not know, on unchanged and on edited messages", () => {
    const proto = decodeModel(readFileSync(join(FIXTURES, "tiny-cnn.onnx")));
    // Field 1000 (varint 42) on the model and on a node: what a newer ONNX might write.
    const unknown = [{ no: 1000, wireType: 0, data: Uint8Array.of(42) }];
    (proto as unknown as { $unknown: unknown }).$unknown = unknown;
    (proto.graph!.node[0] as unknown as { $unknown: unknown }).$unknown = unknown;
    const path = join(dir, "unknown.onnx");
    const bytes = encodeModel(proto);
    writeFileSync(path, bytes);
    const model = loadModel(path);
    expect(Buffer.from(modelBytes(model)).equals(Buffer.from(bytes))).to.equal(true);
    expect(Buffer.concat(encodeModelChunks(decodeModel(bytes), 1)).equals(Buffer.from(bytes)), "file writer's pieces").to.equal(true);
    model.graph.nodes[0]!.name = "renamed"; // the node's message is rebuilt; its unknown field must come along
    const again = decodeModel(modelBytes(model));
    expect(again.graph!.node[0]!.name).to.equal("renamed");
    expect((again.graph!.node[0] as unknown as { $unknown?: { no: number }[] }).$unknown?.map((u) => u.no)).to.deep.equal([1000]);
    expect((again as unknown as { $unknown?: { no: number }[] }).$unknown?.map((u) => u.no)).to.deep.equal([1000]);
  });

  it("keeps initializer bytes as views onto the file buffer, not copies", () => {
    const model = loadModel(join(FIXTURES, "tiny-cnn.onnx"));
    const tensors = [...model.graph.initializers.values()].map((v) => v.initializer!.bytes());
    const buffer = tensors[0]!.buffer;
    expect(tensors.every((t) => t.buffer === buffer)).to.equal(true);
    expect(buffer.byteLength).to.be.at.least(readFileSync(join(FIXTURES, "tiny-cnn.onnx")).length);
  });

  it("string tensors survive a fresh export", () => {
    const g = new Graph("s");
    const b = new Builder(g);
    const c = b.op1("Constant", [], { name: "c", attributes: [{ name: "value", kind: "tensor", value: Tensor.fromStrings("v", [2], ["héllo", ""]) }] });
    b.output(c);
    b.op1("Identity", [c], { name: "i", attributes: [intAttr("unused", 1)] });
    const model = loadModel(writeTemp("strings.onnx", modelBytes(new Model(g))));
    const again = loadModel(writeTemp("strings2.onnx", modelBytes(model, { fresh: true })));
    const attr = again.graph.nodes[0]!.attr("value");
    expect(attr?.kind === "tensor" && attr.value.toStrings()).to.deep.equal(["héllo", ""]);
  });
});

function writeTemp(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}
