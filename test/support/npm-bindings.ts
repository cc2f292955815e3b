// Input shapes (dynamic dims) and fixed inputs (Silero's sample rate) the npm models need to be
// planned and checked; shared by the optimize tests and bench/optimize-plans.ts.
/** Shapes and fixed inputs the npm models need (dynamic dims, Silero's sample rate). */
export const NPM_BINDINGS: Record<string, { shapes: string; inputs?: string[] }> = {
  "ch_PP-OCRv4_det_infer.onnx": { shapes: "x=1x3x64x64" },
  "ch_PP-OCRv4_rec_infer.onnx": { shapes: "x=1x3x48x160" },
  "ch_ppocr_mobile_v2.0_cls_infer.onnx": { shapes: "x=1x3x48x192" },
  "silero_vad.onnx": { shapes: "input=1x512;state=2x1x128", inputs: ["sr=16000"] },
  "silero_vad_16k_op15.onnx": { shapes: "input=1x512;state=2x1x128", inputs: ["sr=16000"] },
  "silero_vad_half.onnx": { shapes: "input=1x512;state=2x1x128" },
  "silero_vad_op18_ifless.onnx": { shapes: "input=1x512;state=2x1x128", inputs: ["sr=16000"] },
};
