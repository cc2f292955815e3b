// Packages written before format v2 called a partition's processor `device` (manifest
// `partitions[].device`, metadata_props `sparoa.device`, schema `sparoa.package.v1`). They must
// still run. The old package is made here from a new one by rewriting its keys back, so the test
// follows whatever `optimize` writes today; the outputs are compared with onnxruntime on the
// original model, and the old package's files must be left exactly as they were.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeModel, encodeModel, type GraphProto, type StringStringEntryProto } from "../../ir/onnx/proto.ts";
import { optimize } from "../../src/optimize/optimize.ts";
import { LEGACY_PROCESSOR_KEY, PROCESSOR_KEY } from "../../src/package/manifest.ts";
import { generateFeeds } from "../../src/runtime/generate-inputs.ts";
import { loadPackage, type Runtime } from "../../src/runtime/runtime.ts";
import { FIXTURES, PROJECT_ROOT } from "../support/corpus.ts";
import { expectClose, plainRun } from "./reference.ts";

const MODEL = join(FIXTURES, "two-branch.onnx");

function renameKeys(props: StringStringEntryProto[]): number {
  let renamed = 0;
  for (const p of props) if (p.key === PROCESSOR_KEY) { p.key = LEGACY_PROCESSOR_KEY; renamed++; }
  return renamed;
}

function renameInGraph(graph: GraphProto | undefined): number {
  let renamed = 0;
  for (const node of graph?.node ?? []) {
    renamed += renameKeys(node.metadataProps);
    for (const a of node.attribute) renamed += renameInGraph(a.g) + a.graphs.reduce((n, g) => n + renameInGraph(g), 0);
  }
  return renamed;
}

/** Rewrites a v2 package folder in place into what a v1 writer produced; returns how many keys it renamed. */
function downgrade(dir: string): number {
  const manifestPath = join(dir, "manifest.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { schema: string; partitions: Record<string, unknown>[] };
  expect(manifest.schema).to.equal("sparoa.package.v2");
  manifest.schema = "sparoa.package.v1";
  // Keep the field order a v1 writer had: id, device, file, ...
  manifest.partitions = manifest.partitions.map((p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k === "processor" ? "device" : k, v])));
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + "\n");
  let renamed = manifest.partitions.length;
  for (const file of [join(dir, "model.annotated.onnx"), ...readdirSync(join(dir, "partitions")).filter((f) => f.endsWith(".onnx")).map((f) => join(dir, "partitions", f))]) {
    const model = decodeModel(readFileSync(file));
    renamed += renameKeys(model.metadataProps) + renameInGraph(model.graph);
    writeFileSync(file, encodeModel(model));
  }
  return renamed;
}

/** Every file of a folder with its bytes, to show nothing was rewritten. */
function snapshot(dir: string): Map<string, Buffer> {
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile()).sort();
  return new Map(files.map((f) => [f, readFileSync(join(dir, f))]));
}

describe("packages of format v1 (the processor called `device`)", function () {
  this.timeout(180_000);
  let dir: string;
  let fresh: string;
  let old: string;
  let rt: Runtime | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sparoa-legacy-"));
    fresh = join(dir, "v2");
    old = join(dir, "v1");
    // The right branch pinned to the gpu: both processors hold partitions.
    await optimize({ model: MODEL, device: "orin-nano", out: fresh, inputShapes: ["x=8x256"], pins: ["re:^right=gpu", "re:^left=cpu"], state: "none" });
    cpSync(fresh, old, { recursive: true });
    expect(downgrade(old)).to.be.greaterThan(3);
  });
  afterEach(async () => { await rt?.close(); rt = undefined; });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the new package says processor, never device, and uses both processors", () => {
    const manifest = readFileSync(join(fresh, "manifest.json"), "utf8");
    expect(manifest).to.include('"processor": "gpu"').and.include('"processor": "cpu"').and.not.include('"device"');
    const annotated = readFileSync(join(fresh, "model.annotated.onnx"));
    expect(annotated.includes(PROCESSOR_KEY)).to.equal(true);
    expect(annotated.includes(`${LEGACY_PROCESSOR_KEY}\u0012`)).to.equal(false);
  });

  it("an old package folder runs through the library with onnxruntime's outputs, and is left as it was", async () => {
    const before = snapshot(old);
    rt = await loadPackage(old, { processorMap: "gpu=cpu", threads: 1 });
    expect(new Set(rt.manifest.partitions.map((p) => p.processor))).to.deep.equal(new Set(["cpu", "gpu"]));
    const feeds = generateFeeds(rt.manifest.source.inputs, 5, { batch: 8 });
    expectClose(await rt.run(feeds), await plainRun(MODEL, feeds));
    await rt.close();
    rt = undefined;
    expect(snapshot(old)).to.deep.equal(before);
  });

  it("an old annotated model (sparoa.device metadata) runs on its own with the same outputs", async () => {
    rt = await loadPackage(join(old, "model.annotated.onnx"), { deviceMap: "gpu=cpu", threads: 1 });
    expect(new Set(rt.manifest.partitions.map((p) => p.processor))).to.deep.equal(new Set(["cpu", "gpu"]));
    const feeds = generateFeeds(rt.manifest.source.inputs, 6, { batch: 3 });
    expectClose(await rt.run(feeds), await plainRun(MODEL, feeds));
  });

  it("sparoa run on an old package (--processor-map, --device-map, --engine ort) gives the new package's outputs", () => {
    const before = snapshot(old);
    const sparoa = (...args: string[]) => spawnSync(process.execPath, [join(PROJECT_ROOT, "bin", "sparoa.js"), ...args], { encoding: "utf8", cwd: PROJECT_ROOT });
    const run = (pkg: string, ...flags: string[]) => {
      const r = sparoa("run", pkg, ...flags, "--json");
      expect(r.status, `${pkg} ${flags.join(" ")}: ${r.stderr}`).to.equal(0);
      return JSON.parse(r.stdout).outputs as unknown;
    };
    const workers = run(fresh);
    expect(run(old, "--processor-map", "gpu=cpu")).to.deep.equal(workers);
    expect(run(old, "--device-map", "gpu=cpu")).to.deep.equal(workers);
    expect(run(old, "--engine", "ort")).to.deep.equal(run(fresh, "--engine", "ort"));
    expect(snapshot(old)).to.deep.equal(before);
  });
});
