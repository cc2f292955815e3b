// Every shape rule by op type (default ONNX domain), gathered from the per-family files.
import type { Node } from "../../ir/node.ts";
import type { RuleTable, ShapeRule } from "./context.ts";
import { attentionRules } from "./attention.ts";
import { controlFlowRules } from "./control-flow.ts";
import { convRules } from "./conv.ts";
import { elementwiseRules } from "./elementwise.ts";
import { generatorRules } from "./generators.ts";
import { indexingRules } from "./indexing.ts";
import { matmulRules } from "./matmul.ts";
import { recurrentRules } from "./recurrent.ts";
import { reduceRules } from "./reduce.ts";
import { reshapeRules } from "./reshape.ts";
import { resizeRules } from "./resize.ts";

const RULES: RuleTable = {
  ...elementwiseRules, ...convRules, ...matmulRules, ...reshapeRules, ...indexingRules,
  ...generatorRules, ...reduceRules, ...resizeRules, ...recurrentRules, ...controlFlowRules,
  ...attentionRules,
};

const isDefaultDomain = (domain: string) => domain === "" || domain === "ai.onnx";

/** The rule for a node, or undefined for ops (and domains) without one. */
export function shapeRuleFor(node: Node): ShapeRule | undefined {
  return isDefaultDomain(node.domain) && Object.hasOwn(RULES, node.opType) ? RULES[node.opType] : undefined;
}

/** Op types of the default domain that have a shape rule, sorted. */
export function coveredOps(): string[] {
  return Object.keys(RULES).sort();
}
