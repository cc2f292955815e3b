// Pictures of real models: the DOT of a transformer hides constants and shape arithmetic, folds
// view-only nodes onto edges and clusters partitions with a device legend (--all-nodes draws all);
// analyze's SVG labels never overlap each other or the fixed texts and stay inside the plot;
// --dump-dir writes text only for big models.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { saveModel } from "../../ir/index.ts";
import { torchvisionVit } from "../../fixtures/vit.ts";
import { twoBranch } from "../../fixtures/make-fixtures.ts";
import { graphDot } from "../../src/report/graph-dot.ts";
import { scatterSvg } from "../../src/report/scatter-svg.ts";
import { runSparoa } from "../support/sparoa-cli.ts";

const boxes = (dot: string) => [...dot.matchAll(/^\s+n\d+ \[label="([^"]*)", fillcolor/gm)].map((m) => m[1]!);

describe("pictures", () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), "sparoa-pictures-")); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a ViT's DOT hides shape arithmetic, folds views onto edges, clusters partitions with a legend", () => {
    const model = torchvisionVit({ layers: 2 });
    const all = boxes(graphDot(model, true));
    expect(all.some((l) => l.startsWith("Shape"))).to.equal(true);
    expect(all.some((l) => l.startsWith("Reshape"))).to.equal(true);
    // Placement's annotations: attention on the GPU in partition 1, the rest on the CPU in 0.
    model.graph.nodes.forEach((n) => {
      const gpu = n.name.includes("attn") && !n.name.includes("shape") && !n.name.includes("lead");
      n.annotations.set("processor", gpu ? "gpu" : "cpu");
      n.annotations.set("partition", gpu ? 1 : 0);
    });
    const dot = graphDot(model, false);
    const shown = boxes(dot);
    for (const op of ["Shape", "Slice", "Concat", "Reshape", "Transpose"]) expect(shown.some((l) => l.startsWith(`${op} `)), op).to.equal(false);
    expect(shown.length).to.be.lessThan(all.length);
    expect(dot).to.contain('label="Reshape·Transpose"');
    expect(dot).to.match(/subgraph cluster_p0 \{\n\s+label="partition 0 \(cpu\)"/);
    expect(dot).to.match(/subgraph cluster_p1 \{\n\s+label="partition 1 \(gpu\)"/);
    expect(dot).to.contain("subgraph cluster_legend");
    expect(dot).to.match(/legend_\d+ \[label="gpu", fillcolor="#a1d99b"\]/);
    expect(dot).to.match(/\d+ nodes hidden: \d+ shape-arithmetic \(--all-nodes draws them\)/);
    // Graphviz lays it out (where installed), and the picture stays a sane size.
    if (spawnSync("sh", ["-c", "command -v dot"]).status === 0) {
      const r = spawnSync("dot", ["-Tsvg"], { input: dot, encoding: "utf8", timeout: 60000 });
      expect(r.status, r.stderr).to.equal(0);
      const [, w, h] = /<svg width="(\d+)pt" height="(\d+)pt"/.exec(r.stdout)!;
      expect(Number(w)).to.be.lessThan(1500);
      expect(Number(h)).to.be.lessThan(4000);
    }
  });

  it("analyze --svg: labels overlap nothing and stay in the plot, the rest are counted", () => {
    // 40 points crowded in one corner, each with a long name: most labels cannot all fit.
    const points = Array.from({ length: 40 }, (_, i) => ({ x: 30 + (i % 5), y: 0.01 * (i % 3), group: i % 2 ? "MatMul" : "Add", weight: 100 - i, label: `encoder.layers.${i}.self_attention.output.dense.matmul` }));
    const svg = scatterSvg(points, { title: "t", xLabel: "x", yLabel: "y", xThreshold: 1, yThreshold: 0.005, quadrantNames: ["sparse, heavy", "sparse, light", "dense, heavy", "dense, light"] });
    const width = (t: string, size: number) => 0.6 * size * t.length;
    const labels = [...svg.matchAll(/<text class="label" x="([\d.]+)" y="([\d.]+)" text-anchor="(start|end)"[^>]*>([^<]*)<\/text>/g)].map((m) => {
      const w = width(m[4]!, 11);
      const x0 = m[3] === "end" ? Number(m[1]) - w : Number(m[1]);
      return { x0, x1: x0 + w, y0: Number(m[2]) - 11, y1: Number(m[2]) + 3, text: m[4]! };
    });
    expect(labels.length).to.be.greaterThan(3);
    for (const l of labels) {
      expect(l.text.length).to.be.at.most(32);
      expect(l.x0).to.be.at.least(70);
      expect(l.x1).to.be.at.most(960 - 220);
    }
    labels.forEach((a, i) => labels.slice(i + 1).forEach((b) => {
      expect(a.x0 < b.x1 && a.x1 > b.x0 && a.y0 < b.y1 && a.y1 > b.y0, `${a.text} overlaps ${b.text}`).to.equal(false);
    }));
    expect(svg).to.match(new RegExp(`${40 - labels.length} label\\(s\\) left out for lack of room`));
  });

  it("--dump-dir writes text only above the size limit (a note says so), .onnx per pass below it or with --dump-onnx", async () => {
    const big = join(dir, "big.onnx");
    saveModel(twoBranch(1600, 1), big); // 2 x 1600 x 1600 floats: 20 MB of weights
    const [auto, forced, small] = await Promise.all([
      runSparoa(["inspect", big, "--input-shape", "x=1x1600", "--passes", "cleanup", "--dump-dir", join(dir, "d1")]),
      runSparoa(["inspect", big, "--input-shape", "x=1x1600", "--passes", "cleanup", "--dump-dir", join(dir, "d2"), "--dump-onnx"]),
      runSparoa(["inspect", join("fixtures", "tiny-cnn.onnx"), "--passes", "cleanup", "--dump-dir", join(dir, "d3")]),
    ]);
    for (const r of [auto, forced, small]) expect(r.code, r.stderr).to.equal(0);
    expect(readdirSync(join(dir, "d1")).sort()).to.deep.equal(["00-input.onnx", "00-input.txt", "01-topo-sort.txt", "02-dce.txt"]);
    expect(auto.stderr).to.contain("sparoa: note: --dump-dir writes text dumps only: the model holds 20 MB of weights");
    expect(readdirSync(join(dir, "d2"))).to.include("02-dce.onnx");
    expect(readdirSync(join(dir, "d3"))).to.include("02-dce.onnx");
    expect(existsSync(big)).to.equal(true);
  });
});
