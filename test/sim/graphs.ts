// Small annotated graphs and a two-processor profile for simulator, baseline and oracle tests:
// the cost annotations are set by hand (as the cost pass would), so the expected times are known.
import { Builder, DataType, Graph, Model, tensorType, type Node, type Value } from "../../ir/index.ts";
import { NodeKey } from "../../ir/annotation-keys.ts";
import { validateProfile, type DeviceProfile } from "../../src/devices/profile.ts";

import { seededRandom as seeded } from "../../ir/random.ts";
export { seeded };

export function annotate(node: Node, flops: number, bytesRead: number, bytesWritten: number, weights = 0): void {
  node.annotations.set(NodeKey.flops, flops);
  node.annotations.set(NodeKey.bytesRead, bytesRead);
  node.annotations.set(NodeKey.bytesWritten, bytesWritten);
  node.annotations.set(NodeKey.bytesWeights, weights);
}

/** A chain of `n` ops on a [1, width] f32 tensor; op i does flops[i] FLOPs. */
export function chainModel(flops: number[], width = 1024, op = "MatMul"): Model {
  const g = new Graph("chain");
  const b = new Builder(g);
  let v: Value = b.input("x", tensorType(DataType.FLOAT, [1, width]));
  flops.forEach((f, i) => {
    const node = b.op(op, [v], { name: `n${i}` });
    v = node.outputs[0]!;
    v.type = tensorType(DataType.FLOAT, [1, width]);
    annotate(node, f, width * 4, width * 4);
  });
  b.output(v);
  return new Model(g);
}

/**
 * A random DAG of `n` nodes: each node reads 1-2 earlier values (or the input), sizes and FLOPs
 * vary over orders of magnitude so CPU and GPU each win somewhere.
 */
export function randomDag(n: number, seed: number): Model {
  const rand = seeded(seed);
  const g = new Graph(`dag${n}_${seed}`);
  const b = new Builder(g);
  const values: Value[] = [b.input("x", tensorType(DataType.FLOAT, [1, 4096]))];
  const used = new Set<Value>();
  for (let i = 0; i < n; i++) {
    const k = Math.min(values.length, rand() < 0.35 ? 2 : 1);
    const ins = new Set<Value>();
    // Prefer recent values so the DAG is deep as well as wide.
    while (ins.size < k) ins.add(values[Math.max(0, values.length - 1 - Math.floor(rand() * Math.min(values.length, 4)))]!);
    const width = 256 * (1 + Math.floor(rand() * 64));
    const node = b.op(rand() < 0.5 ? "Conv" : "Relu", [...ins], { name: `n${i}` });
    const out = node.outputs[0]!;
    out.type = tensorType(DataType.FLOAT, [1, width]);
    const flops = Math.floor(10 ** (4 + rand() * 5));
    annotate(node, flops, [...ins].reduce((s, v) => s + staticBytes(v), 0), width * 4);
    for (const v of ins) used.add(v);
    values.push(out);
  }
  for (const v of values.slice(1)) if (!used.has(v)) b.output(v);
  return new Model(g);
}

function staticBytes(v: Value): number {
  const t = v.type;
  return t?.kind === "tensor" && t.shape ? (t.shape as number[]).reduce((a, b) => a * b, 1) * 4 : 0;
}

/** A CPU (100 GFLOP/s, 20 GB/s) and a GPU (2 TFLOP/s, 100 GB/s, 20 us launch) over a 10 GB/s link. */
export function toyProfile(options: { copyEngine?: boolean; runOverheadUs?: number; fusion?: string[] } = {}): DeviceProfile {
  const eff = { default: { compute: 1, memory: 1 } };
  return validateProfile({
    schema: "sparoa.device.v1",
    name: "toy",
    description: "test profile",
    host: "cpu",
    runOverheadUs: options.runOverheadUs ?? 0,
    processors: {
      cpu: { kind: "cpu", executionProvider: "cpu", peakGflops: { f32: 100 }, memoryBandwidthGBs: 20, dispatchUs: 2, efficiency: eff, powerW: { busy: 10, idle: 2 }, fusion: options.fusion },
      gpu: { kind: "gpu", executionProvider: "cuda", peakGflops: { f32: 2000 }, memoryBandwidthGBs: 100, dispatchUs: 20, efficiency: eff, powerW: { busy: 30, idle: 5 }, fusion: options.fusion },
    },
    links: [{ between: ["cpu", "gpu"], memory: "separate", bandwidthGBs: 10, latencyUs: 15, copyEngine: options.copyEngine ?? true }],
  }, "toy");
}
