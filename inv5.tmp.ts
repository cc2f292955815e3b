import { loadModel } from "./ir/index.ts";
const m = loadModel("/work/shared/onnx-backend-tests/light/light_densenet121.onnx");
const bn = m.graph.nodes.filter(n => n.opType === "BatchNormalization").slice(0,2);
for (const n of bn) console.log(n.name, n.inputs.map(v => [v!.name, v!.producer?.opType, v!.producer?.inputs[0]?.initializer?.toNumbers(), v!.uses.length]));
console.log(m.graph.initializers.get("conv1/bn_var_0")!.initializer!.toNumbers().slice(0,5), m.graph.initializers.get("conv1/bn_mean_0")!.initializer!.toNumbers().slice(0,5));
