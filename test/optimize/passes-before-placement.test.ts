// Users' passes before placement (issue 18, point 3): the package is cut from a fresh load of the
// file when --input-shape binds inputs, and the analysis's annotations reach its nodes by
// Node.origin (their place in the file), not by position. A model with a symbolic batch and one
// dead node, optimized with --passes dce, packages without the dead node and computes what the
// original computes on onnxruntime; a reordering pass moves annotations with their nodes.
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Builder, loadModel, saveModel } from "../../ir/index.ts";
import { decodeModel } from "../../ir/onnx/proto.ts";
import type { PackageManifest } from "../../src/package/manifest.ts";
import { AnalysisMismatchError, applyAnalysis } from "../../src/package/package-model.ts";
import { deadNodeModel } from "../support/dead-node-model.ts";
import { runSparoaInProcess } from "../support/cli-in-process.ts";

const work = mkdtempSync(join(tmpdir(), "sparoa-passes-before-"));
after(() => rmSync(work, { recursive: true, force: true }));
const file = join(work, "dead.onnx");
before(() => saveModel(deadNodeModel(), file));

describe("passes before placement (stable node identity)", () => {
  it("optimize --passes dce with a bound symbolic batch: the dead node leaves the package, the outputs equal the original's (exact check)", async () => {
    const before = readFileSync(file);
    const out = join(work, "pkg");
    // The pin cuts the graph in two, so annotations on the wrong node would show as a wrong device.
    const r = await runSparoaInProcess(["optimize", file, "--device", "orin-nano", "--passes", "dce", "--input-shape", "x=2x3x32x32", "--pin", "conv2=gpu", "--check", "--exact", "-o", out]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.internal).to.equal(false);
    expect(readFileSync(file).equals(before), "the input file is untouched").to.equal(true);
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as PackageManifest;
    expect(manifest.partitions.length).to.be.at.least(2);
    const annotated = decodeModel(readFileSync(join(out, manifest.annotatedModel!)));
    const nodes = annotated.graph!.node;
    expect(nodes.map((n) => n.name)).to.not.include("dead_sigmoid");
    expect(nodes.length).to.equal(9);
    const device = (name: string) => nodes.find((n) => n.name === name)!.metadataProps.find((e) => e.key === "sparoa.processor")?.value;
    expect(device("conv2")).to.equal("gpu");
    // Symbolic batch kept in the package (cut from the file's own model), bound only for analysis.
    const input = annotated.graph!.input[0]!.type!.value;
    expect(input.case === "tensorType" ? input.value.shape?.dim[0]?.value : undefined).to.deep.equal({ case: "dimParam", value: "N" });
    expect(r.stdout).to.match(/check: passed/);
  });

  it("moves annotations with their nodes when a pass reorders them, and applies the order and the removals to the file's model", () => {
    const analysed = loadModel(file);
    const g = analysed.graph;
    const dead = g.nodes.find((n) => n.name === "dead_sigmoid")!;
    // Still a topological order: the Sigmoid reads relu1 only.
    g.reorder([...g.nodes.filter((n) => n !== dead), dead]);
    for (const n of g.nodes) n.annotations.set("test.name", n.name);
    const fresh = loadModel(file);
    applyAnalysis(analysed, fresh);
    expect(fresh.graph.nodes.map((n) => n.name)).to.deep.equal(g.nodes.map((n) => n.name));
    for (const n of fresh.graph.nodes) expect(n.annotations.get("test.name"), n.name).to.equal(n.name);

    g.removeNodes([dead]);
    const again = loadModel(file);
    applyAnalysis(analysed, again);
    expect(again.graph.nodes.map((n) => n.name)).to.deep.equal(g.nodes.map((n) => n.name));
  });

  it("refuses, naming the node, a graph a pass added nodes to", () => {
    const analysed = loadModel(file);
    const last = analysed.graph.outputs[0]!;
    new Builder(analysed.graph).op1("Identity", [last], { name: "added_by_a_pass" });
    expect(() => applyAnalysis(analysed, loadModel(file))).to.throw(AnalysisMismatchError, /node 'added_by_a_pass' \(Identity\) was created by a pass/);
  });
});
