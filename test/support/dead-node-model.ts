// The model of issue 18's report: a symbolic batch dimension (input x: N x 3 x 32 x 32) and one
// dead node (a Sigmoid nobody reads) among nine live ones: Conv, Relu, Conv, Relu, residual Add,
// GlobalAveragePool, Flatten, Gemm, Softmax. dce before placement removes the Sigmoid.
import { Builder, DataType, Graph, Model, intAttr, intsAttr, tensorType } from "../../ir/index.ts";
import { seededRandom } from "../../ir/random.ts";
import { weights } from "../../fixtures/make-fixtures.ts";

export function deadNodeModel(): Model {
  const rand = seededRandom(18);
  const g = new Graph("dead_node");
  const b = new Builder(g);
  const x = b.input("x", tensorType(DataType.FLOAT, ["N", 3, 32, 32]));
  const conv = (h: ReturnType<typeof b.input>, name: string, cin: number) => b.op1("Conv", [h, b.initializer(weights(rand, `${name}.weight`, [8, cin, 3, 3])), b.initializer(weights(rand, `${name}.bias`, [8]))],
    { name, attributes: [intsAttr("kernel_shape", [3, 3]), intsAttr("pads", [1, 1, 1, 1])] });
  const r1 = b.op1("Relu", [conv(x, "conv1", 3)], { name: "relu1" });
  b.op1("Sigmoid", [r1], { name: "dead_sigmoid" });
  const r2 = b.op1("Relu", [conv(r1, "conv2", 8)], { name: "relu2" });
  const sum = b.op1("Add", [r1, r2], { name: "residual" });
  const pooled = b.op1("Flatten", [b.op1("GlobalAveragePool", [sum], { name: "gap" })], { name: "flatten", attributes: [intAttr("axis", 1)] });
  const logits = b.op1("Gemm", [pooled, b.initializer(weights(rand, "fc.weight", [10, 8])), b.initializer(weights(rand, "fc.bias", [10]))], { name: "fc", attributes: [intAttr("transB", 1)] });
  const probs = b.op1("Softmax", [logits], { name: "softmax", attributes: [intAttr("axis", 1)] });
  probs.name = "probs";
  probs.type = tensorType(DataType.FLOAT, ["N", 10]);
  b.output(probs);
  return new Model(g, { irVersion: 8, opsets: { "": 13 } });
}
