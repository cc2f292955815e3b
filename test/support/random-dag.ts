// Random DAG models for property tests: element-wise ops on small float tensors, each node
// reading one to three earlier values, some Constant nodes read from several places, every
// node labelled with a random device. They run in onnxruntime, so a package cut from them can
// be checked numerically.
import { Builder, DataType, Graph, Model, Tensor, tensorType, type Node, type Value } from "../../ir/index.ts";
import { seededRandom } from "../../ir/random.ts";
import { NodeKey } from "../../ir/annotation-keys.ts";

export interface RandomDagOptions { nodes: number; seed: number; devices?: readonly string[]; constants?: number }

export function randomDagModel(options: RandomDagOptions): Model {
  const rand = seededRandom(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const devices = options.devices ?? ["cpu", "gpu"];
  const g = new Graph(`random_dag_${options.seed}`);
  const b = new Builder(g);
  const type = tensorType(DataType.FLOAT, [4]);
  const values: Value[] = [b.input("x", type)];
  if (rand() < 0.5) values.push(b.input("y", type));
  for (let c = 0; c < (options.constants ?? 2); c++) {
    const data = Float32Array.from({ length: 4 }, () => rand() - 0.5);
    const k = b.op1("Constant", [], { name: `k${c}`, attributes: [{ name: "value", kind: "tensor", value: Tensor.fromArray(`k${c}`, DataType.FLOAT, [4], data) }] });
    k.type = type;
  }
  const constants = g.nodes.map((n) => n.outputs[0]!);
  for (let i = 0; i < options.nodes; i++) {
    const arity = 1 + Math.floor(rand() * 3);
    // Mostly recent values (long chains), sometimes far back (skip edges that invite cycles).
    const choose = () => (rand() < 0.15 && constants.length > 0 ? pick(constants)
      : rand() < 0.7 ? values[Math.max(0, values.length - 1 - Math.floor(rand() * 3))]! : pick(values));
    const op = arity === 1 ? pick(["Relu", "Neg", "Abs"]) : arity === 2 ? pick(["Add", "Mul", "Sub", "Max"]) : "Sum";
    const out = b.op1(op, Array.from({ length: arity }, choose), { name: `n${i}` });
    out.type = type;
    values.push(out);
  }
  // Outputs: the last value and any value nobody reads, so every node is live.
  const outputs = new Set<Value>([values[values.length - 1]!]);
  for (const v of values.slice(1)) if (v.uses.length === 0) outputs.add(v);
  for (const v of outputs) b.output(v);
  for (const n of g.nodes) n.annotations.set(NodeKey.processor, pick(devices));
  return new Model(g, { irVersion: 8, opsets: { "": 13 } });
}

/** A model where a CPU If node's branches capture a value computed on the GPU. */
export function capturingIfModel(): Model {
  const g = new Graph("capturing_if");
  const b = new Builder(g);
  const type = tensorType(DataType.FLOAT, [4]);
  const x = b.input("x", type);
  const flag = b.input("flag", tensorType(DataType.BOOL, []));
  const r = b.op1("Relu", [x], { name: "relu_gpu" });
  r.type = type;
  const branch = (name: string, op: string): Graph => {
    const sg = new Graph(name);
    const sb = new Builder(sg);
    const y = sb.op1(op, [r, x], { name: `${name}_${op}` });
    y.type = type;
    sb.output(y);
    return sg;
  };
  const ifNode: Node = b.op("If", [flag], { name: "if_cpu", outputs: ["branch_out"], attributes: [
    { name: "then_branch", kind: "graph", value: branch("then", "Add") },
    { name: "else_branch", kind: "graph", value: branch("else", "Mul") },
  ] });
  ifNode.outputs[0]!.type = type;
  const z = b.op1("Neg", [ifNode.outputs[0]!], { name: "neg_gpu" });
  z.type = type;
  b.output(z);
  for (const n of g.nodes) n.annotations.set(NodeKey.processor, n.name.endsWith("cpu") ? "cpu" : "gpu");
  return new Model(g, { irVersion: 8, opsets: { "": 13 } });
}
