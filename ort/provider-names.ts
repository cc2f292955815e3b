// The onnxruntime execution providers sparoa knows by name: what a device profile's processor
// may name, what `--processor-map` accepts and what `sparoa profile` probes. No onnxruntime import:
// device profiles read this list without loading the native binding.
export const EXECUTION_PROVIDERS = ["cpu", "xnnpack", "cuda", "tensorrt", "webgpu"] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];
