// The pass manager: pipeline strings and named pipelines, scheduling of required analyses,
// invalidation, and every instrument, using test-only passes registered here.
import { expect } from "chai";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { loadModel } from "../../ir/onnx/file.ts";
import { printModel } from "../../ir/print/text.ts";
import { verifyModel } from "../../ir/verify.ts";
import { Builder } from "../../ir/builder.ts";
import { Value } from "../../ir/value.ts";
import type { Model } from "../../ir/model.ts";
import { registerBuiltinPasses } from "../../passes/builtin-passes.ts";
import { PassManager, type PassInstrument, type PassRun } from "../../passes/manager.ts";
import { PipelineError, instantiate, parsePipeline } from "../../passes/pipeline.ts";
import { registerPass, registerPipeline } from "../../passes/registry.ts";
import { runPipeline } from "../../src/optimize/run-pipeline.ts";
import { DumpDir, PassStatistics, PrintIR, TimePasses, VerifyEach } from "../../passes/instruments.ts";
import { PassError, type Pass, type PassOptions } from "../../passes/pass.ts";
import { FIXTURES } from "../support/corpus.ts";

registerBuiltinPasses();

const TINY = join(FIXTURES, "tiny-cnn.onnx");
const log: string[] = [];

// An analysis: annotates every node, changes nothing it would invalidate.
registerPass((): Pass => ({
  name: "test-count", description: "test: annotate each node with its index", preserves: "all",
  run(model) {
    log.push("test-count");
    model.graph.nodes.forEach((n, i) => n.annotations.set("index", i));
    return { changed: true, statistics: { "nodes-seen": model.graph.nodes.length } };
  },
}));
// A transformation that needs the analysis.
registerPass((): Pass => ({
  name: "test-use-count", description: "test: requires test-count", requires: ["test-count"], preserves: ["test-count"],
  run(model) {
    log.push("test-use-count");
    const missing = model.graph.nodes.filter((n) => !n.annotations.has("index"));
    if (missing.length > 0) throw new Error("test-count did not run first");
    return { changed: false };
  },
}));
// Changes the IR and preserves nothing (or what `keep` names).
registerPass((options: PassOptions): Pass => ({
  name: "test-mutate", description: "test: rename the graph", preserves: options.keep ? [options.keep] : [],
  run(model) {
    log.push("test-mutate");
    model.graph.name += "_m";
    return { changed: options.change !== "no" };
  },
}));
// Leaves a node reading a value nothing defines.
registerPass((): Pass => ({
  name: "test-break", description: "test: make the IR invalid",
  run(model) {
    const relu = model.graph.nodes.find((n) => n.opType === "Relu")!;
    relu.setInput(0, new Value("nowhere"));
    return { changed: true };
  },
}));
// Throws on the third node, after damaging the IR (the reproducer must not show the damage).
registerPass((): Pass => ({
  name: "test-throw", description: "test: fail while on a node",
  run(model, ctx) {
    model.graph.nodes.forEach((n, i) => {
      ctx.at(n);
      if (i === 0) n.name = "renamed-by-failing-pass";
      if (i === 2) throw new Error("cannot handle this node");
    });
    return { changed: true };
  },
}));
registerPipeline("test-pipeline", "test-count,cleanup", "test: a named pipeline that nests another");

async function run(model: Model, pipeline: string, ...instruments: PassInstrument[]): Promise<PassRun[]> {
  const pm = new PassManager(instantiate(parsePipeline(pipeline)));
  for (const i of instruments) pm.addInstrument(i);
  return pm.run(model);
}

describe("pass pipelines", () => {
  it("reads pass lists with options and expands named pipelines, nested", () => {
    expect(parsePipeline("dce, topo-sort")).to.deep.equal([{ name: "dce", options: {} }, { name: "topo-sort", options: {} }]);
    // `canonicalize`, the sort's old name, still works in pipelines and names the same pass.
    expect(instantiate(parsePipeline("canonicalize")).map((p) => p.name)).to.deep.equal(["topo-sort"]);
  });

  it("an old pass name also selects the pass for --print-ir-after", async () => {
    const out: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => { out.push(String(chunk)); return true; }) as typeof process.stderr.write;
    try {
      await runPipeline(loadModel(TINY), { passes: "canonicalize,dce", "print-ir-after": ["canonicalize"] });
    } finally {
      process.stderr.write = write;
    }
    expect(out.join("").split("\n").filter((l) => l.startsWith("// -----// IR Dump"))).to.deep.equal(["// -----// IR Dump After topo-sort (no change) //----- //"]);
    expect(parsePipeline("test-mutate{keep=test-count,change=no},dce")).to.deep.equal([
      { name: "test-mutate", options: { keep: "test-count", change: "no" } }, { name: "dce", options: {} }]);
    expect(parsePipeline("test-pipeline").map((e) => e.name)).to.deep.equal(["test-count", "topo-sort", "dce"]);
  });

  it("rejects an unknown pass with a suggestion, and malformed elements", () => {
    expect(() => parsePipeline("topo-sort,dcee")).to.throw(PipelineError, /unknown pass 'dcee' \(did you mean 'dce'\?\); 'sparoa passes' lists them/);
    expect(() => parsePipeline("cleanp")).to.throw(PipelineError, /did you mean 'cleanup'/);
    expect(() => parsePipeline("dce{oops}")).to.throw(PipelineError, /option 'oops' of pass 'dce' needs the form key=value/);
    expect(() => parsePipeline("dce;x")).to.throw(PipelineError, /cannot read pipeline element 'dce;x'/);
  });
});

describe("pass manager scheduling", () => {
  beforeEach(() => { log.length = 0; });

  it("runs a required analysis first when it is not valid, and marks it as scheduled", async () => {
    const runs = await run(loadModel(TINY), "test-use-count");
    expect(log).to.deep.equal(["test-count", "test-use-count"]);
    expect(runs.map((r) => [r.pass.name, r.scheduled])).to.deep.equal([["test-count", true], ["test-use-count", false]]);
  });

  it("does not rerun an analysis that is still valid", async () => {
    await run(loadModel(TINY), "test-count,test-use-count,test-use-count");
    expect(log).to.deep.equal(["test-count", "test-use-count", "test-use-count"]);
  });

  it("invalidates analyses a changing pass does not preserve, and keeps those it does", async () => {
    await run(loadModel(TINY), "test-count,test-mutate,test-use-count");
    expect(log).to.deep.equal(["test-count", "test-mutate", "test-count", "test-use-count"]);
    log.length = 0;
    await run(loadModel(TINY), "test-count,test-mutate{keep=test-count},test-use-count");
    expect(log).to.deep.equal(["test-count", "test-mutate", "test-use-count"]);
    log.length = 0;
    await run(loadModel(TINY), "test-count,test-mutate{change=no},test-use-count");
    expect(log).to.deep.equal(["test-count", "test-mutate", "test-use-count"]);
  });
});

describe("pass instruments", () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), "sparoa-pm-")); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

  const headers = (text: string[]) => text.map((t) => t.split("\n")[0]);

  it("--print-ir-after-all prints after every pass, saying when nothing changed", async () => {
    const out: string[] = [];
    await run(loadModel(TINY), "topo-sort,test-count", new PrintIR("all", (t) => out.push(t)));
    expect(headers(out)).to.deep.equal(["// -----// IR Dump After topo-sort (no change) //----- //", "// -----// IR Dump After test-count //----- //"]);
    expect(out[1]).to.include("# name=conv1 index=0");
    expect(out[0]).to.not.include("index=");
  });

  it("--print-ir-after=PASS prints only after the named passes; --print-ir-after-change only after changes", async () => {
    const named: string[] = [];
    await run(loadModel(TINY), "topo-sort,test-count,dce", new PrintIR(new Set(["dce"]), (t) => named.push(t)));
    expect(headers(named)).to.deep.equal(["// -----// IR Dump After dce (no change) //----- //"]);
    const changed: string[] = [];
    await run(loadModel(TINY), "topo-sort,test-count,dce", new PrintIR("change", (t) => changed.push(t)));
    expect(headers(changed)).to.deep.equal(["// -----// IR Dump After test-count //----- //"]);
  });

  it("--dump-dir writes numbered text and loadable .onnx files, including scheduled passes", async () => {
    await run(loadModel(TINY), "test-use-count,dce", new DumpDir(dir));
    expect(readdirSync(dir).sort()).to.deep.equal([
      "00-input.onnx", "00-input.txt", "01-test-count.onnx", "01-test-count.txt",
      "02-test-use-count.onnx", "02-test-use-count.txt", "03-dce.onnx", "03-dce.txt"]);
    expect(readFileSync(join(dir, "01-test-count.txt"), "utf8")).to.include("index=3");
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".onnx"))) {
      const m = loadModel(join(dir, f));
      expect(verifyModel(m), f).to.deep.equal([]);
      const session = await ort.InferenceSession.create(join(dir, f), { logSeverityLevel: 3 });
      await session.release();
    }
    // Annotations travel in the .onnx as sparoa.* node metadata.
    expect(loadModel(join(dir, "01-test-count.onnx")).graph.nodes[3]!.metadata.get("sparoa.index")).to.equal("3");
  });

  it("--time-passes prints a row per pass and a total", async () => {
    const out: string[] = [];
    await run(loadModel(TINY), "test-use-count,dce", new TimePasses((t) => out.push(t)));
    const text = out.join("");
    expect(text).to.include("Pass execution timing report");
    for (const name of ["test-count (required)", "test-use-count", "dce"]) expect(text).to.match(new RegExp(`\\d+\\.\\d\\d\\s+\\d+\\.\\d  ${name.replace(/[()]/g, "\\$&")}\\n`));
    expect(text).to.match(/\d+\.\d\d\s+100\.0  Total/);
  });

  it("--pass-statistics prints each pass's named counters", async () => {
    const model = loadModel(TINY);
    const b = new Builder(model.graph);
    b.op1("Neg", [model.graph.inputs[0]!], { name: "dead" }); // nothing reads it
    const out: string[] = [];
    await run(model, "test-count,dce", new PassStatistics((t) => out.push(t)));
    expect(out.join("")).to.match(/test-count \(changed\)\n\s+\(S\)\s+10 nodes-seen\ndce \(changed\)\n\s+\(S\)\s+1 nodes-removed\n\s+\(S\)\s+0 initializers-removed/);
  });

  it("--verify-each names the pass that broke the IR", async () => {
    let error: unknown;
    try {
      await run(loadModel(TINY), "topo-sort,test-break,dce", new VerifyEach());
    } catch (e) { error = e; }
    expect(error).to.be.instanceOf(PassError);
    expect((error as Error).message).to.match(/^pass 'test-break' failed: left the IR invalid: graph 'tiny_cnn': node 'relu1' \(Relu\) input 0 'nowhere' is not defined in scope/);
  });

  it("reports a throwing pass with the node it was on and writes the IR from before it as a loadable reproducer", async () => {
    const model = loadModel(TINY);
    const before = printModel(model);
    let error: unknown;
    try {
      await run(model, "topo-sort,test-throw,dce", new DumpDir(dir));
    } catch (e) { error = e; }
    expect(error).to.be.instanceOf(PassError);
    const reproducer = join(dir, "02-test-throw.reproducer.onnx");
    expect((error as Error).message).to.equal(`pass 'test-throw' failed on node 'pool1' (MaxPool): cannot handle this node [IR before the pass written to ${reproducer}]`);
    expect(existsSync(reproducer)).to.equal(true);
    const repro = loadModel(reproducer);
    expect(verifyModel(repro)).to.deep.equal([]);
    expect(printModel(repro)).to.equal(before); // the pass's damage (a renamed node) is not in it
    expect(readdirSync(dir).filter((f) => f.startsWith("03"))).to.deep.equal([]); // nothing ran after the failure
  });

  it("reports a throwing pass without a dump folder too (no reproducer)", async () => {
    try {
      await run(loadModel(TINY), "test-throw");
      expect.fail("should throw");
    } catch (e) {
      expect((e as Error).message).to.equal("pass 'test-throw' failed on node 'pool1' (MaxPool): cannot handle this node");
    }
  });
});
