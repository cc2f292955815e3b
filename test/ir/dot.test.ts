// Graphviz output: nodes are filled by their device annotation once placement has run.
import { expect } from "chai";
import { join } from "node:path";
import { loadModel } from "../../ir/onnx/file.ts";
import { modelToDot } from "../../ir/print/dot.ts";
import { FIXTURES } from "../support/corpus.ts";

describe("DOT printer", () => {
  it("colours nodes by processor: grey before placement, one colour per processor after", () => {
    const model = loadModel(join(FIXTURES, "tiny-cnn.onnx"));
    const fills = (dot: string) => [...dot.matchAll(/\[label="[^"]*", fillcolor="(#[0-9a-f]{6})"\]/g)].map((m) => m[1]);
    expect(new Set(fills(modelToDot(model)))).to.deep.equal(new Set(["#eeeeee"]));
    model.graph.nodes.forEach((n, i) => n.annotations.set("processor", i < 4 ? "gpu" : i < 8 ? "cpu" : "dla"));
    const dot = modelToDot(model);
    const colours = fills(dot);
    expect(colours.slice(0, 4).every((c) => c === colours[0])).to.equal(true);
    expect(colours.slice(4, 8).every((c) => c === colours[4])).to.equal(true);
    expect(new Set([colours[0], colours[4], colours[8]]).size).to.equal(3);
    expect(dot).to.include('label="Conv\\nconv1\\n[gpu]"');
  });

  for (const key of ["sparoa.processor", "sparoa.device"]) it(`colours a saved annotated model by its ${key} metadata_props${key === "sparoa.device" ? " (packages before format v2)" : ""}`, () => {
    const model = loadModel(join(FIXTURES, "tiny-cnn.onnx"));
    const fills = (dot: string) => [...dot.matchAll(/\[label="[^"]*", fillcolor="(#[0-9a-f]{6})"\]/g)].map((m) => m[1]);
    model.graph.nodes.forEach((n, i) => n.metadata.set(key, i < 4 ? "gpu" : "cpu"));
    const colours = fills(modelToDot(model));
    expect(new Set(colours.slice(0, 4)).size).to.equal(1);
    expect(new Set(colours.slice(4)).size).to.equal(1);
    expect(colours[0]).to.not.equal(colours[4]);
    expect(colours).to.not.include("#eeeeee");
  });
});
