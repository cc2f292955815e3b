// Op families: groups of ONNX operators whose kernels behave alike on a processor (same
// efficiency factors, same sparsity effect). The device profile keys its factors by family.

export const OP_FAMILIES = ["conv", "matmul", "pool", "norm", "softmax", "elementwise", "reduce", "data", "view", "recurrent", "control", "other"] as const;
export type OpFamily = (typeof OP_FAMILIES)[number];

const FAMILY: Record<string, OpFamily> = {};
const add = (family: OpFamily, ops: string) => { for (const op of ops.split(/\s+/).filter(Boolean)) FAMILY[op] = family; };

add("conv", "Conv ConvTranspose ConvInteger QLinearConv DeformConv");
add("matmul", "MatMul Gemm MatMulInteger QLinearMatMul Einsum FusedMatMul");
add("pool", "MaxPool AveragePool GlobalAveragePool GlobalMaxPool LpPool GlobalLpPool MaxRoiPool RoiAlign MaxUnpool");
add("norm", "BatchNormalization LayerNormalization InstanceNormalization GroupNormalization LRN LpNormalization MeanVarianceNormalization SkipLayerNormalization RMSNormalization SimplifiedLayerNormalization");
add("softmax", "Softmax LogSoftmax Hardmax");
add("elementwise", `Add Sub Mul Div Pow Sqrt Exp Log Abs Neg Reciprocal Floor Ceil Round Sign Sin Cos Tan Asin Acos Atan
  Sinh Cosh Asinh Acosh Atanh Erf Relu LeakyRelu PRelu Elu Selu Celu Gelu FastGelu Sigmoid HardSigmoid HardSwish Tanh
  Softplus Softsign Mish ThresholdedRelu Clip Where Equal Less LessOrEqual Greater GreaterOrEqual Not And Or Xor Max Min
  Sum Mean Mod BitShift BitwiseAnd BitwiseOr BitwiseXor BitwiseNot Cast CastLike IsNaN IsInf QuantizeLinear
  DequantizeLinear DynamicQuantizeLinear Shrink`);
add("reduce", `ReduceMean ReduceSum ReduceMax ReduceMin ReduceProd ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp
  ReduceSumSquare ArgMax ArgMin TopK CumSum NonMaxSuppression`);
add("data", `Concat Split Slice Gather GatherElements GatherND Scatter ScatterElements ScatterND Transpose Pad Resize
  Upsample Tile Expand DepthToSpace SpaceToDepth ConstantOfShape Range OneHot Trilu ReverseSequence Compress NonZero
  Col2Im GridSample`);
add("view", "Reshape Flatten Squeeze Unsqueeze Identity Dropout Shape Size Constant");
add("recurrent", "LSTM GRU RNN");
add("control", "If Loop Scan");

/** The family of an operator (`other` for operators not listed). */
export function opFamily(opType: string): OpFamily {
  return FAMILY[opType] ?? "other";
}
