// Every operator the cost model prices, by op type (default ONNX domain only).
import type { CostFormula } from "./common.ts";
import { convFormulas } from "./conv.ts";
import { elementwiseFormulas } from "./elementwise.ts";
import { matmulFormulas } from "./matmul.ts";
import { movementFormulas } from "./movement.ts";
import { normalizationFormulas } from "./normalization.ts";
import { poolFormulas } from "./pool.ts";
import { recurrentFormulas } from "./recurrent.ts";
import { reductionFormulas } from "./reduction.ts";
import { resizeFormulas } from "./resize.ts";

export const COST_FORMULAS: ReadonlyMap<string, CostFormula> = new Map(Object.entries({
  ...convFormulas, ...matmulFormulas, ...poolFormulas, ...normalizationFormulas,
  ...elementwiseFormulas, ...reductionFormulas, ...resizeFormulas, ...movementFormulas, ...recurrentFormulas,
}));

export function costFormula(domain: string, opType: string): CostFormula | undefined {
  return domain === "" || domain === "ai.onnx" ? COST_FORMULAS.get(opType) : undefined;
}
