// Element-wise operators and activations: a fixed number of operations per output element.
// Conventions: +, -, *, /, comparisons, min/max, abs, neg, floor-like rounding, logic and
// select each count 1; so does each transcendental (exp, log, sqrt, pow, tanh, erf, sin...)
// since hardware has a unit or a short sequence for each; composite activations count the
// operations they are defined by (listed beside each).
import type { Node } from "../../ir/node.ts";
import { ops, output, presentInputCount, sizeOf, type Arithmetic, type CostFormula } from "./common.ts";

/** Operations per output element. */
export const PER_ELEMENT: Record<string, number> = {
  // arithmetic and comparison (binary, broadcasting)
  Add: 1, Sub: 1, Mul: 1, Div: 1, Pow: 1, Mod: 1, BitShift: 1,
  Equal: 1, Greater: 1, GreaterOrEqual: 1, Less: 1, LessOrEqual: 1,
  And: 1, Or: 1, Xor: 1, BitwiseAnd: 1, BitwiseOr: 1, BitwiseXor: 1, Where: 1,
  // unary
  Abs: 1, Neg: 1, Reciprocal: 1, Sqrt: 1, Exp: 1, Log: 1, Ceil: 1, Floor: 1, Round: 1, Sign: 1,
  Not: 1, BitwiseNot: 1, IsNaN: 1, IsInf: 1, Erf: 1,
  Sin: 1, Cos: 1, Tan: 1, Asin: 1, Acos: 1, Atan: 1, Sinh: 1, Cosh: 1, Asinh: 1, Acosh: 1, Atanh: 1, Tanh: 1,
  // activations
  Relu: 1,              // max(x, 0)
  ThresholdedRelu: 1,   // x > alpha ? x : 0
  LeakyRelu: 2,         // compare, multiply
  PRelu: 2,             // compare, multiply
  Clip: 2,              // max, min
  Shrink: 2,            // compare, add/subtract bias
  Sigmoid: 4,           // neg, exp, add 1, divide
  HardSigmoid: 4,       // multiply alpha, add beta, max 0, min 1
  HardSwish: 5,         // hard sigmoid, multiply
  Elu: 4,               // compare, exp, subtract 1, multiply alpha
  Celu: 5,              // compare, divide by alpha, exp, subtract 1, multiply alpha
  Selu: 5,              // compare, exp, multiply alpha, subtract alpha, multiply gamma
  Softplus: 3,          // exp, add 1, log
  Softsign: 3,          // abs, add 1, divide
  Mish: 5,              // softplus (3), tanh, multiply
  Gelu: 5,              // divide by sqrt(2), erf, add 1, multiply x, multiply 0.5 (tanh approximation counted the same)
  // quantization
  QuantizeLinear: 4,    // divide scale, round, add zero point, saturate
  DequantizeLinear: 2,  // subtract zero point, multiply scale
  DynamicQuantizeLinear: 6, // min/max scan (2) plus quantize (4)
};

/** Fixed ops per output element. */
function perElement(count: number): CostFormula {
  return (node: Node): Arithmetic => ops(count * sizeOf(output(node), "output"));
}

/** Variadic Sum/Max/Min: n-1 operations per output element; Mean adds a multiply by 1/n. */
function variadic(extra: number): CostFormula {
  return (node: Node): Arithmetic => ops((Math.max(presentInputCount(node) - 1, 0) + extra) * sizeOf(output(node), "output"));
}

export const elementwiseFormulas: Record<string, CostFormula> = {
  ...Object.fromEntries(Object.entries(PER_ELEMENT).map(([op, n]) => [op, perElement(n)])),
  Sum: variadic(0),
  Max: variadic(0),
  Min: variadic(0),
  Mean: variadic(1),
};
