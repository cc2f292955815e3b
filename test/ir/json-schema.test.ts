// docs/ir-json.md is the schema of `sparoa.ir.v1`: this test reads its tables and checks the
// JSON printer's output against them, in both directions: every field printed is documented,
// and every documented field is printed for at least one of the models here.
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Builder, DataType, Graph, Model, SparseTensor, Tensor, Value, floatAttr, intAttr, loadModel, saveModel, tensorType, type ModelFunction,
} from "../../ir/index.ts";
import { IR_JSON_SCHEMA, modelToJson } from "../../ir/print/json.ts";
import { FIXTURES, PROJECT_ROOT, npmModels } from "../support/corpus.ts";

type Expr =
  | { kind: "name"; name: string } | { kind: "literal"; value: string } | { kind: "array"; of: Expr }
  | { kind: "map"; of: Expr } | { kind: "union"; of: Expr[] };
interface Field { name: string; optional: boolean; type: Expr }
type Schema = Map<string, { fields?: Field[]; alias?: Expr }>;

/** `A | B[] | {C} | (D | E)[] | "lit"` */
function parseExpr(text: string): Expr {
  let i = 0;
  const ws = () => { while (text[i] === " ") i++; };
  const union = (): Expr => {
    const parts = [term()];
    for (ws(); text[i] === "|"; ws()) { i++; parts.push(term()); }
    return parts.length === 1 ? parts[0]! : { kind: "union", of: parts };
  };
  const term = (): Expr => {
    ws();
    let e: Expr;
    if (text[i] === "(") { i++; e = union(); ws(); expect(text[i++], text).to.equal(")"); }
    else if (text[i] === "{") { i++; e = { kind: "map", of: union() }; ws(); expect(text[i++], text).to.equal("}"); }
    else if (text[i] === '"') { const end = text.indexOf('"', i + 1); e = { kind: "literal", value: text.slice(i + 1, end) }; i = end + 1; }
    else { const m = /^[A-Za-z]+/.exec(text.slice(i))!; expect(m, `type at '${text.slice(i)}'`).to.not.equal(null); e = { kind: "name", name: m[0] }; i += m[0].length; }
    while (text.startsWith("[]", i)) { i += 2; e = { kind: "array", of: e }; }
    return e;
  };
  const e = union();
  ws();
  expect(i, `unparsed rest of '${text}'`).to.equal(text.length);
  return e;
}

function readSchema(): Schema {
  const doc = readFileSync(join(PROJECT_ROOT, "docs", "ir-json.md"), "utf8");
  const schema: Schema = new Map();
  const sections = doc.split(/^### /m).slice(1);
  for (const section of sections) {
    const name = section.slice(0, section.indexOf("\n")).trim();
    const alias = /^Type: `(.+)`$/m.exec(section);
    if (alias) { schema.set(name, { alias: parseExpr(alias[1]!) }); continue; }
    const fields: Field[] = [];
    for (const row of section.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| field") && !l.startsWith("| ---"))) {
      const m = /^\| ([A-Za-z]+)(\??) \| `(.+?)` \| /.exec(row.replace(/\\\|/g, "|"));
      expect(m, `row: ${row}`).to.not.equal(null);
      fields.push({ name: m![1]!, optional: m![2] === "?", type: parseExpr(m![3]!) });
    }
    schema.set(name, { fields });
  }
  return schema;
}

/** Field keys (`Type.field`) seen while validating, or an error naming the path. */
function validate(schema: Schema, value: unknown, type: Expr, path: string, seen: Set<string>): string | null {
  switch (type.kind) {
    case "literal": return value === type.value ? null : `${path}: expected "${type.value}"`;
    case "array":
      if (!Array.isArray(value)) return `${path}: expected an array`;
      for (const [i, v] of value.entries()) { const e = validate(schema, v, type.of, `${path}[${i}]`, seen); if (e) return e; }
      return null;
    case "map":
      if (typeof value !== "object" || value === null || Array.isArray(value)) return `${path}: expected an object map`;
      for (const [k, v] of Object.entries(value)) { const e = validate(schema, v, type.of, `${path}.${k}`, seen); if (e) return e; }
      return null;
    case "union": {
      const errors: string[] = [];
      for (const alt of type.of) {
        const trial = new Set<string>();
        const e = validate(schema, value, alt, path, trial);
        if (!e) { trial.forEach((s) => seen.add(s)); return null; }
        errors.push(e);
      }
      return `${path}: matches no alternative (${errors.join("; ")})`;
    }
    case "name": {
      switch (type.name) {
        case "string": return typeof value === "string" ? null : `${path}: expected a string`;
        case "number": return typeof value === "number" ? null : `${path}: expected a number`;
        case "integer": return Number.isInteger(value) ? null : `${path}: expected an integer`;
        case "boolean": return typeof value === "boolean" ? null : `${path}: expected a boolean`;
        case "null": return value === null ? null : `${path}: expected null`;
      }
      const def = schema.get(type.name);
      if (!def) return `${path}: the doc uses type ${type.name} without defining it`;
      if (def.alias) return validate(schema, value, def.alias, path, seen);
      if (typeof value !== "object" || value === null || Array.isArray(value)) return `${path}: expected a ${type.name} object`;
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        if (!def.fields!.some((f) => f.name === key)) return `${path}.${key}: field not documented for ${type.name}`;
      }
      for (const f of def.fields!) {
        if (!(f.name in record)) {
          if (f.optional) continue;
          return `${path}.${f.name}: required ${type.name} field missing`;
        }
        const e = validate(schema, record[f.name], f.type, `${path}.${f.name}`, seen);
        if (e) return e;
        seen.add(`${type.name}.${f.name}`);
      }
      return null;
    }
  }
}

/** One model with every feature the JSON form describes. */
function everythingModel(dir: string): Model {
  const body = new Graph("Scale");
  const fb = new Builder(body);
  const a = fb.input("a");
  fb.output(fb.op1("LeakyRelu", [a], { name: "leaky", attributes: [{ name: "alpha", kind: "ref", value: "slope", refType: 1 }] }));
  const fn: ModelFunction = {
    name: "Scale", domain: "local", overload: "", body, attributeNames: ["slope"], attributeDefaults: [],
    opsetImports: new Map([["", 18]]), docString: "", metadata: new Map([["k", "v"]]), source: undefined,
  };
  const g = new Graph("everything");
  const b = new Builder(g);
  const x = b.input("x", tensorType(DataType.FLOAT, ["N", 4]));
  x.metadata.set("input.key", "value");
  const w = b.initializer(Tensor.fromArray("w", DataType.FLOAT, [4, 4], new Float32Array(16).fill(0.5)));
  const sparse = new Value("s", tensorType(DataType.FLOAT, [4]));
  sparse.sparseInitializer = new SparseTensor(Tensor.fromArray("s", DataType.FLOAT, [1], Float32Array.of(1)),
    Tensor.fromArray("s_idx", DataType.INT64, [1], BigInt64Array.of(2n)), [4]);
  sparse.graph = g;
  g.sparseInitializers.push(sparse);
  g.metadata.set("graph.key", "g");
  const mm = b.op1("MatMul", [x, w], { name: "mm" });
  mm.type = tensorType(DataType.FLOAT, ["N", 4]);
  mm.producer!.metadata.set("node.key", "n");
  const cond = b.input("cond", tensorType(DataType.BOOL, []));
  const thenG = new Graph("then");
  thenG.outputs.push(new Builder(thenG).op1("Identity", [mm], { name: "t" }));
  const elseG = new Graph("else");
  elseG.outputs.push(new Builder(elseG).op1("Neg", [mm], { name: "e" }));
  const branch = b.op1("If", [cond], { name: "if", attributes: [{ name: "then_branch", kind: "graph", value: thenG }, { name: "else_branch", kind: "graph", value: elseG }] });
  const scaled = b.op1("Scale", [branch], { name: "call", domain: "local", attributes: [floatAttr("slope", 0.1)] });
  const odd = b.op("Custom", [scaled, null], {
    name: "custom", domain: "test.attrs", outputs: ["y", ""],
    attributes: [
      floatAttr("nan", Number.NaN), intAttr("big", 2n ** 63n - 1n), { name: "ints", kind: "ints", value: [1n, -1n] },
      { name: "floats", kind: "floats", value: [0.5, Number.NEGATIVE_INFINITY] }, { name: "str", kind: "string", value: "s" },
      { name: "strs", kind: "strings", value: ["a", "b"] }, { name: "t", kind: "tensor", value: Tensor.fromArray("t", DataType.INT32, [2], Int32Array.of(1, 2)) },
      { name: "ts", kind: "tensors", value: [Tensor.fromArray("t", DataType.INT32, [1], Int32Array.of(1))] },
      { name: "sp", kind: "sparse_tensor", value: sparse.sparseInitializer! }, { name: "sps", kind: "sparse_tensors", value: [sparse.sparseInitializer!] },
      { name: "ty", kind: "type", value: tensorType(DataType.FLOAT, [2]) }, { name: "tys", kind: "types", value: [tensorType(DataType.INT64)] },
    ],
  });
  b.output(odd.outputs[0]!);
  const model = new Model(g, { irVersion: 10, opsets: { "": 18, local: 1, "test.attrs": 1 } });
  model.functions.push(fn);
  model.metadata.set("model.key", "m");
  model.producerName = "test";
  // Save with external data and load back, so tensors carry external locations.
  const path = join(dir, "everything.onnx");
  saveModel(model, path, { externalDataThreshold: 64 });
  const loaded = loadModel(path);
  // Annotations live in memory only (a file carries them as sparoa.* metadata when asked).
  const mmNode = loaded.graph.nodes.find((n) => n.name === "mm")!;
  mmNode.outputs[0]!.annotations.set("zero_fraction", 0.25);
  mmNode.annotations.set("flops", 32).set("intensity", Number.NaN).set("processor", "cpu").set("pinned", true).set("dims", [1, Number.POSITIVE_INFINITY]);
  return loaded;
}

describe("JSON form (docs/ir-json.md is its schema)", () => {
  it("validates every field printed for real and synthetic models, and prints every documented field", () => {
    const schema = readSchema();
    expect([...schema.keys()]).to.include.members(["Model", "Graph", "Node", "Value", "Tensor", "Attribute"]);
    const dir = mkdtempSync(join(tmpdir(), "sparoa-json-"));
    try {
      const models = [everythingModel(dir), loadModel(join(FIXTURES, "tiny-cnn.onnx")), ...npmModels().slice(0, 4).map((f) => loadModel(f))];
      const seen = new Set<string>();
      for (const m of models) {
        const json = JSON.parse(JSON.stringify(modelToJson(m))) as unknown; // what a consumer reads
        expect(validate(schema, json, { kind: "name", name: "Model" }, "$", seen)).to.equal(null);
      }
      const documented = [...schema].flatMap(([type, def]) => (def.fields ?? []).map((f) => `${type}.${f.name}`));
      expect(documented.filter((f) => !seen.has(f)), "documented but never printed").to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes exact values where JSON numbers cannot", () => {
    const dir = mkdtempSync(join(tmpdir(), "sparoa-json-"));
    try {
      const json = modelToJson(everythingModel(dir));
      expect(json.schema).to.equal(IR_JSON_SCHEMA);
      const custom = json.graph.nodes.find((n) => n.name === "custom")!;
      expect(custom.attributes).to.deep.include({ nan: "NaN", big: "9223372036854775807", ints: [1, -1], floats: [0.5, "-Infinity"] });
      const mm = json.graph.nodes.find((n) => n.name === "mm")!;
      expect(mm.annotations).to.deep.equal({ flops: 32, intensity: "NaN", processor: "cpu", pinned: true, dims: [1, "Infinity"] });
      expect(json.graph.values.mm_out0).to.deep.equal({ name: "mm_out0", type: "f32[N,4]", dtype: "f32", shape: ["N", 4], annotations: { zero_fraction: 0.25 } });
      expect(json.graph.initializers.w).to.deep.equal({ dtype: "f32", dims: [4, 4], bytes: 64, external: { location: "everything.onnx.data", offset: 0, length: 64 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
