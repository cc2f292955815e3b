// Per-op truth: every kernel onnxruntime's profiler reports for a whole model is charged to the
// node (or fusion root) it runs, through onnxruntime's NCHWc renames; only layout reorders are
// left without a node, and no node the simulator times is left without a kernel.
import { expect } from "chai";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { PassManager } from "../../passes/manager.ts";
import { instantiate, parsePipeline } from "../../passes/pipeline.ts";
import { loadProfile } from "../../src/devices/profile.ts";
import { perOpTruth, truthSamples } from "../../src/profiler/per-op.ts";
import { QUICK_TIMING } from "../../src/profiler/measure.ts";
import { generateZooModel, ZOO_PRESETS } from "../../src/zoo/index.ts";
import { isSkipSum } from "../../src/devices/fusion.ts";
import { SKIP_LAYER_NORM } from "../../src/devices/latency.ts";
import { ORT_FUSIONS } from "../../src/profiler/profile-host.ts";

registerBuiltinPasses();

describe("per-op truth against onnxruntime's per-node profile", () => {
  it("matches every kernel of a residual CNN to its node, bar layout reorders", async function () {
    this.timeout(60_000);
    const model = generateZooModel(ZOO_PRESETS["resnet-medium"](1));
    await new PassManager(instantiate(parsePipeline("shape-inference,cost"))).run(model);
    // The fusion list and the processor are what matter here, not the figures.
    const truth = await perOpTruth(model, model, loadProfile("agx-orin"), "cpu", { ...QUICK_TIMING, minMs: 50, threads: 1, executionProvider: "cpu" }, 0);
    expect(Object.keys(truth.unmatched).filter((op) => !/^Reorder(Input|Output)$/.test(op))).to.deep.equal([]);
    expect(truth.predictedUnmatchedMs).to.equal(0);
    const convs = model.graph.nodes.filter((n) => n.opType === "Conv").length;
    const conv = truth.families.find((f) => f.family === "conv")!;
    expect(conv.nodes).to.equal(convs);
    for (const n of truth.nodes) expect(n.measuredMs, n.node.name).to.be.above(0);
    // Every matched node with a cost count is a fit sample.
    expect(truthSamples(truth).filter((s) => s.family === "conv").length).to.equal(convs);
  });
});

describe("per-op truth on a transformer: onnxruntime's fused kernels", () => {
  it("charges Gemm, FusedMatMul and SkipLayerNormalization kernels to their roots; the skip sum is fitted on its own", async function () {
    this.timeout(60_000);
    const model = generateZooModel(ZOO_PRESETS["vit-small"](1));
    await new PassManager(instantiate(parsePipeline("shape-inference,cost"))).run(model);
    const profile = loadProfile("agx-orin");
    profile.processors.cpu!.fusion = ORT_FUSIONS;
    const truth = await perOpTruth(model, model, profile, "cpu", { ...QUICK_TIMING, minMs: 50, threads: 1, executionProvider: "cpu" }, 0);
    // onnxruntime's own Reshapes around each Gemm (and its layout reorders) have no node.
    expect(Object.keys(truth.unmatched).filter((op) => !/^(Reorder(Input|Output)|Reshape)$/.test(op))).to.deep.equal([]);
    const matmuls = model.graph.nodes.filter((n) => n.opType === "MatMul").length;
    expect(truth.families.find((f) => f.family === "matmul")!.nodes).to.equal(matmuls);
    // The last residual sum feeds the final LayerNormalization alone: one kernel, charged to the Add.
    const skip = truthSamples(truth).filter((s) => s.ownOp === SKIP_LAYER_NORM);
    expect(skip.length).to.equal(model.graph.nodes.filter(isSkipSum).length).and.to.be.above(0);
    for (const s of skip) expect(s.ms).to.be.above(0);
  });
});
