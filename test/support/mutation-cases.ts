// Inputs for the mutation check's models: image-like for image inputs (their outputs depend on
// them), seeded noise otherwise; dynamic dims bound (two-branch batch 2, PP-OCR 64x96 / 48x160,
// Silero 512 samples at 16 kHz).
import { basename } from "node:path";
import * as ort from "onnxruntime-node";
import { loadModel } from "../../ir/index.ts";
import { dtypeName } from "../../ir/dtype.ts";
import { generateFeeds } from "../../src/runtime/generate-inputs.ts";
import { imageOrtTensor } from "./image-inputs.ts";
import type { MutationCase } from "./mutants.ts";

const IMAGE: Record<string, number[]> = { "ch_PP-OCRv4_det_infer.onnx": [1, 3, 64, 96], "ch_PP-OCRv4_rec_infer.onnx": [1, 3, 48, 160], "ch_ppocr_mobile_v2.0_cls_infer.onnx": [1, 3, 48, 192] };

export function mutationCases(paths: readonly string[], seed = 1): MutationCase[] {
  return paths.map((model) => {
    const name = basename(model);
    const inputs = loadModel(model).graph.inputs.filter((v) => !v.initializer && v.type?.kind === "tensor");
    const feeds: Record<string, ort.Tensor> = {};
    for (const v of inputs) {
      const t = v.type!.kind === "tensor" ? v.type : undefined;
      const shape = (t?.shape ?? []).map((d) => (typeof d === "number" ? d : 2));
      if (v.name === "sr") feeds.sr = new ort.Tensor("int64", BigInt64Array.from([16000n]), []);
      else if (IMAGE[name] || (shape.length === 4 && shape[1] === 3 && shape[2]! >= 8)) feeds[v.name] = imageOrtTensor(IMAGE[name] ?? shape, seed);
      else {
        const bound = v.name === "state" ? [2, 1, 128] : v.name === "input" ? [1, 512] : shape;
        Object.assign(feeds, generateFeeds([{ name: v.name, dtype: dtypeName(t!.elemType), shape: bound }], seed));
      }
    }
    return { name, model, feeds };
  });
}
