// Data movement and shape bookkeeping: no arithmetic, only the bytes the pass charges.
import { ZERO, type CostFormula } from "./common.ts";

export const MOVEMENT_OPS = [
  "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice",
  "Gather", "GatherElements", "GatherND", "Scatter", "ScatterND", "ScatterElements",
  "Tile", "Expand", "Pad", "Identity", "Dropout", "Cast", "CastLike", "Shape", "Size",
  "Constant", "ConstantOfShape", "Range", "DepthToSpace", "SpaceToDepth", "Compress", "OneHot",
  "Trilu", "ReverseSequence", "EyeLike", "MaxUnpool", "NonZero", "Col2Im",
] as const;

/** Ops that look only at their inputs' shapes, never their data: they read no bytes. */
export const METADATA_ONLY = new Set(["Shape", "Size"]);

export const movementFormulas: Record<string, CostFormula> = Object.fromEntries(MOVEMENT_OPS.map((op) => [op, () => ZERO]));
