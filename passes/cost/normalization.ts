// Normalizations: per-element arithmetic plus a small per-group cost (eps, sqrt, reciprocal).
import type { Node } from "../../ir/node.ts";
import { input, intAttr, ops, output, product, shapeOf, type Arithmetic, type CostFormula } from "./common.ts";

/**
 * Inference BatchNormalization folds into a per-channel scale and shift: 2 ops per element
 * (multiply, add) plus 5 per channel (add eps, sqrt, divide scale, multiply mean, subtract
 * from bias). Training mode also computes batch statistics: 4 more per element (sum for the
 * mean; subtract, square and sum for the variance).
 */
function batchNorm(node: Node): Arithmetic {
  const x = shapeOf(input(node, 0), "X");
  const elements = product(x);
  const channels = x[1] ?? 1;
  const training = intAttr(node, "training_mode", 0) === 1 || node.outputs.slice(1).some((o) => o.name !== "");
  return ops(elements * (training ? 6 : 2) + 5 * channels);
}

/**
 * Normalizing over groups of elements computed at run time (layer, instance, group): per
 * element a sum for the mean, a subtract, a square and a sum for the variance, a multiply by the
 * reciprocal std, a multiply by scale and an add of the bias (7 with a bias, 6 without); per
 * group two divides (mean, variance), add eps, sqrt and a reciprocal (5).
 */
function statisticsNorm(groupCount: (node: Node, x: number[]) => number, hasBias: (node: Node) => boolean): CostFormula {
  return (node: Node): Arithmetic => {
    const x = shapeOf(input(node, 0), "X");
    shapeOf(output(node), "Y");
    return ops(product(x) * (hasBias(node) ? 7 : 6) + 5 * groupCount(node, x));
  };
}

const layerRows = (node: Node, x: number[]) => {
  const axis = intAttr(node, "axis", -1);
  return product(x.slice(0, axis < 0 ? axis + x.length : axis));
};
const instances = (_node: Node, x: number[]) => (x[0] ?? 1) * (x[1] ?? 1);
const groups = (node: Node, x: number[]) => (x[0] ?? 1) * intAttr(node, "num_groups", 1);

export const normalizationFormulas: Record<string, CostFormula> = {
  BatchNormalization: batchNorm,
  LayerNormalization: statisticsNorm(layerRows, (n) => input(n, 2) !== null),
  InstanceNormalization: statisticsNorm(instances, () => true),
  GroupNormalization: statisticsNorm(groups, () => true),
  // MVN has neither scale nor bias: 5 per element.
  MeanVarianceNormalization: (node) => ops(product(shapeOf(input(node, 0), "X")) * 5),
};
