// The anchor for `analyze`: plain onnxruntime loading the model from its path and running one
// inference on a uniform [-1, 1) input (`analyze` itself runs 8 calibration samples), so the
// bench can print ratios against it.
import * as ort from "onnxruntime-node";

const session = await ort.InferenceSession.create(process.argv[2]!, { logSeverityLevel: 3 });
const meta = session.inputMetadata[0] as ort.InferenceSession.TensorValueMetadata;
const dims = meta.shape.map((d) => (typeof d === "number" && d > 0 ? d : 1));
const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => Math.random() * 2 - 1);
await session.run({ [session.inputNames[0]!]: new ort.Tensor("float32", data, dims) });
await session.release();
