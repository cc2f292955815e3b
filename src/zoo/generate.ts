// A spec to a Model: input [batch, 3, side, side] named "image", output "logits" [batch, classes].
import { DataType, Graph, Model, tensorType, type Value } from "../../ir/index.ts";
import { Net } from "./net.ts";
import { FAMILIES } from "./family-registry.ts";
import { ZOO_IR_VERSION, ZOO_OPSET, type ZooFamily, type ZooSpec, type ZooSpecOf } from "./zoo-spec.ts";

/** Model metadata_props key holding the spec as JSON. */
export const ZOO_SPEC_KEY = "sparoa.zoo.spec";

export function generateZooModel(spec: ZooSpec): Model {
  const graph = new Graph(`${spec.family.replace(/-/g, "_")}_${spec.size}`);
  const net = new Net(graph, spec.seed, spec.activation, spec.pruning);
  const image = net.b.input("image", tensorType(DataType.FLOAT, [spec.batch, 3, spec.resolution, spec.resolution]));
  const logits = buildFamily(net, image, spec);
  logits.name = "logits";
  logits.type = tensorType(DataType.FLOAT, [spec.batch, spec.classes]);
  net.b.output(logits);
  const model = new Model(graph, { irVersion: ZOO_IR_VERSION, opsets: { "": ZOO_OPSET } });
  model.producerName = "sparoa-zoo";
  // The file describes itself: the spec rebuilds it byte for byte (docs/zoo.md).
  model.metadata.set(ZOO_SPEC_KEY, JSON.stringify(spec));
  return model;
}

// One generic call site: the registry's mapped type pairs each family's builder with its spec.
function buildFamily<F extends ZooFamily>(net: Net, image: Value, spec: ZooSpecOf<F>): Value {
  return FAMILIES[spec.family as F].build(net, image, spec);
}
