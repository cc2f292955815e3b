// The README cannot rot: a fresh clone of this repository (the committed HEAD) in a temporary
// folder, without ../shared beside it, gets the build `npm install` runs (`prepare`: dist/) and
// then every `npx sparoa` line of the README's shell blocks, in order, each checked for a zero
// exit and its own expected output. What is not re-run, and why: `npm install` itself (the
// clone borrows this checkout's node_modules through a symlink: no network, no minutes of
// install) and `npm test` (this test is part of it). `npx sparoa` is run as the file it
// resolves to, `node bin/sparoa.js`, also from a folder outside the clone.
import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { saveModel } from "../ir/index.ts";
import { PROJECT_ROOT } from "./support/corpus.ts";
import { annotatedTwoBranch } from "./support/runtime-helpers.ts";

/** The `npx sparoa` lines of the README's ```sh blocks, comments cut, `npm install && ` dropped. */
export function readmeCommands(readme: string): string[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.split("\n"))
    .map((l) => l.replace(/\s+#\s.*$/, "").replace(/^npm install && /, "").trim())
    .filter((l) => l.startsWith("npx sparoa") && !l.includes("/path/to/"));
}

/** What each README example must print or write, beyond exiting 0 (matched on the command line). */
const EXPECT: [RegExp, (r: { stdout: string; stderr: string }, dir: string) => void][] = [
  [/optimize fixtures\/two-branch\.onnx .* --check/, (r, dir) => {
    expect(r.stdout).to.match(/check: passed/);
    expect(r.stdout).to.contain("no GPU was used");
    expect(existsSync(join(dir, "out", "manifest.json"))).to.equal(true);
  }],
  [/^run out --json/, (r) => expect((JSON.parse(r.stdout) as { outputs: Record<string, unknown> }).outputs).to.have.property("y")],
  [/^bench out/, (r) => { expect(r.stdout).to.match(/sparoa runtime .* ms/); expect(r.stdout).to.contain("plain onnxruntime"); }],
  [/--format dot -o plan\.dot/, (_r, dir) => expect(readFileSync(join(dir, "plan.dot"), "utf8")).to.match(/^digraph/)],
  [/analyze fixtures\/tiny-cnn\.onnx --svg tiny\.svg/, (r, dir) => { expect(r.stdout).to.contain("quadrants"); expect(readFileSync(join(dir, "tiny.svg"), "utf8")).to.match(/^<svg/); }],
  [/optimize fixtures\/tiny-resnet-n\.onnx -o out-n --batch 8/, (r) => expect(r.stderr).to.contain("dimension 'N' of input 'input' taken as the batch and bound to 8")],
  [/^run out-n$/, (r) => expect(r.stdout).to.contain("inputs: generated (seed 1, batch 8, as planned): input float32[8,3,32,32]")],
  [/^convert out\/model\.annotated\.onnx/, (_r, dir) => expect(existsSync(join(dir, "annotated.onnx"))).to.equal(true)],
  [/--print-ir-after-all/, (r) => expect(r.stderr).to.contain("// -----// IR Dump After topo-sort")],
  [/--time-passes/, (r) => expect(r.stderr).to.match(/topo-sort/)],
  [/--dump-dir dumps\//, (_r, dir) => expect(existsSync(join(dir, "dumps", "00-input.txt"))).to.equal(true)],
  [/--print-ir-after-change/, (r) => expect(r.stderr).to.contain("IR Dump After cost (annotations only)")],
  [/--format dot -o model\.dot/, (_r, dir) => expect(readFileSync(join(dir, "model.dot"), "utf8")).to.match(/^digraph/)],
];

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

describe("README: every example runs from a fresh clone", function () {
  let root: string;
  let clone: string;
  const commands = readmeCommands(readFileSync(join(PROJECT_ROOT, "README.md"), "utf8"));

  before(function () {
    if (!existsSync(join(PROJECT_ROOT, ".git")) || !has("git")) {
      console.log("    (skipped: not a git checkout, nothing to clone)");
      this.skip();
    }
    root = mkdtempSync(join(tmpdir(), "sparoa-readme-"));
    clone = join(root, "sparoa");
    const head = execFileSync("git", ["-C", PROJECT_ROOT, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    execFileSync("git", ["clone", "--quiet", "--no-checkout", PROJECT_ROOT, clone]);
    execFileSync("git", ["-C", clone, "checkout", "--quiet", head]);
    symlinkSync(join(PROJECT_ROOT, "node_modules"), join(clone, "node_modules"));
    // What `npm install` runs for this package itself: the prepare script (the build).
    const build = spawnSync(process.execPath, ["bin/build.mjs"], { cwd: clone, encoding: "utf8" });
    expect(build.status, build.stderr).to.equal(0);
  });
  after(() => { if (root) rmSync(root, { recursive: true, force: true }); });

  it("lists the README's two commands and its examples", () => {
    expect(commands[0]).to.match(/^npx sparoa optimize fixtures\/two-branch\.onnx/);
    expect(commands.length).to.be.greaterThan(8);
    expect(readFileSync(join(PROJECT_ROOT, "README.md"), "utf8")).to.contain("npm install && npx sparoa optimize");
  });

  it("builds dist/ so the launcher starts compiled JavaScript", () => {
    expect(existsSync(join(clone, "dist", ".built"))).to.equal(true);
    expect(existsSync(join(clone, "dist", "src", "cli", "main.js"))).to.equal(true);
  });

  it("runs every example in order, each exiting 0 with its expected output", () => {
    expect(existsSync(join(root, "..", "shared")) && root.startsWith(join(PROJECT_ROOT, ".."))).to.equal(false);
    for (const line of commands) {
      // `a && dot -Tsvg ...`: the Graphviz half only where Graphviz is installed.
      const text = has("dot") ? line : line.replace(/ && dot .*$/, "");
      const shell = text.replace(/npx sparoa/g, `"${process.execPath}" bin/sparoa.js`);
      const r = spawnSync("bash", ["-c", shell], { cwd: clone, encoding: "utf8", env: { ...process.env, SPAROA_DEBUG: "" } });
      expect(r.status, `${line}\n${r.stderr}`).to.equal(0);
      expect(r.stderr, line).to.not.contain("sparoa: error");
      const sub = line.replace(/^npx sparoa /, "");
      for (const [pattern, check] of EXPECT) if (pattern.test(sub)) check(r, clone);
    }
  });

  it("the compiled processor workers (dist/, checked JavaScript) give the outputs the tsx sources give, across two processors", () => {
    // The two-branch fixture annotated for two devices: three partitions, values crossing
    // between the workers over peer ports, the worker and wire code from dist/ vs from the sources.
    const annotated = join(root, "two-device.onnx");
    saveModel(annotatedTwoBranch(), annotated);
    const compiled = spawnSync(process.execPath, [join(clone, "bin", "sparoa.js"), "run", annotated, "--json"], { cwd: root, encoding: "utf8" });
    const sources = spawnSync(process.execPath, ["--import", "tsx", join(PROJECT_ROOT, "src", "cli", "main.ts"), "run", annotated, "--json"], { cwd: PROJECT_ROOT, encoding: "utf8" });
    expect(compiled.status, compiled.stderr).to.equal(0);
    expect(sources.status, sources.stderr).to.equal(0);
    type RunJson = { partitions: number; routes: { crossings: unknown[] }; outputs: Record<string, { data: number[] }> };
    const [a, b] = [JSON.parse(compiled.stdout) as RunJson, JSON.parse(sources.stdout) as RunJson];
    expect(a.partitions).to.equal(3);
    expect(a.routes.crossings.length).to.be.greaterThan(0);
    expect(a.outputs.y!.data.some((x) => x !== 0)).to.equal(true);
    expect(a.outputs).to.deep.equal(b.outputs);
  });

  it("the CLI works from another folder", () => {
    const r = spawnSync(process.execPath, [join(clone, "bin", "sparoa.js"), "inspect", join(clone, "fixtures", "tiny-cnn.onnx")], { cwd: root, encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.contain("graph @tiny_cnn");
  });
});
