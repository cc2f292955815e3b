// One-way layers: every import between the project's folders must go down the layer table in
// docs/architecture.md ("Layers: who may import whom"), which this test reads, so the table is
// the rule and stays true. A few rules hold whatever the table says (ir imports nothing of ours,
// nothing imports the CLI, the planning engines never import passes/), and the checker itself is
// first shown to catch a forbidden import.
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { folderOf, importEdges, SOURCE_ROOTS, sourceFolders, type ImportEdge } from "../support/import-graph.ts";
import { PROJECT_ROOT } from "../support/corpus.ts";

/** Folder -> layer number, from the table in docs/architecture.md. */
function layerTable(markdown: string): Map<string, number> {
  const section = markdown.split("## Layers: who may import whom")[1]?.split("\n## ")[0];
  if (section === undefined) throw new Error("docs/architecture.md has no 'Layers: who may import whom' section");
  const layers = new Map<string, number>();
  for (const row of section.matchAll(/^\|\s*(\d+)\s*\|([^|]*)\|/gm)) {
    for (const folder of row[2]!.matchAll(/`([^`]+)`/g)) layers.set(folder[1]!, Number(row[1]));
  }
  return layers;
}

/**
 * Edges that break the order today, each with its reason. Every one must still exist (a fixed
 * one must leave this list, so the list never hides a new import of the same kind).
 */
const KNOWN_EXCEPTIONS: readonly (ImportEdge & { why: string })[] = [];

/** Rules no edit of the table may relax: [description, forbidden(fromFolder, toFolder)]. */
const HARD_RULES: readonly [string, (from: string, to: string) => boolean][] = [
  ["ir/ imports nothing of ours", (from, to) => from === "ir" && to !== "ir"],
  ["nothing outside src/cli imports src/cli", (from, to) => to === "src/cli" && from !== "src/cli"],
  ["src/planner, src/sim and src/devices never import passes/", (from, to) => ["src/planner", "src/sim", "src/devices"].includes(from) && to === "passes"],
  ["passes/ reaches no higher than the planning engines", (from, to) => from === "passes" && ["src/package", "src/runtime", "src/profiler", "src/learn", "src/optimize", "src/deploy", "src/cli"].includes(to)],
];

/** Every import the table (and the hard rules) forbid, as `from -> to (why)`. */
function violations(edges: readonly ImportEdge[], layers: ReadonlyMap<string, number>, exceptions: readonly ImportEdge[] = []): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const from = folderOf(e.from), to = folderOf(e.to);
    if (from === undefined || to === undefined || from === to) continue;
    if (exceptions.some((x) => x.from === e.from && x.to === e.to)) continue;
    const hard = HARD_RULES.find(([, forbidden]) => forbidden(from, to));
    const lf = layers.get(from), lt = layers.get(to);
    if (hard) out.push(`${e.from} -> ${e.to} (${hard[0]})`);
    else if (lf === undefined || lt === undefined) out.push(`${e.from} -> ${e.to} (${lf === undefined ? from : to} is not in the layer table)`);
    else if (lt >= lf) out.push(`${e.from} -> ${e.to} (${from} is on layer ${lf}, ${to} on layer ${lt}: imports go to lower layers only)`);
  }
  return out;
}

/**
 * Source files may share a basename only for one of these reasons (a path matching the pattern
 * is exempt from the clash with any other file of the same name).
 */
const SAME_NAME_REASONS: readonly [RegExp, string][] = [
  [/^src\/cli\/commands\//, "a command's file is named after the command, and so is what it runs"],
  [/^passes\/(cost|shapes)\//, "the cost formulas and the shape rules of one op family, side by side"],
  [/\/index\.ts$/, "a folder's public entry"],
  [/^src\/(predictor|scheduler)\/weights\.ts$/, "each learned model's weights file, in its own folder"],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { recursive: true, encoding: "utf8" }).filter((f) => /\.(ts|mts|mjs)$/.test(f)).map((f) => `${dir}/${f.split("\\").join("/")}`);
}

const layers = layerTable(readFileSync(join(PROJECT_ROOT, "docs/architecture.md"), "utf8"));
const edges = importEdges(PROJECT_ROOT);

describe("architecture: one-way layers", () => {
  it("the checker catches a forbidden import (upward, into the CLI, same layer, out of ir/)", () => {
    const planted: ImportEdge[] = [
      { from: "src/package/emit.ts", to: "src/cli/errors.ts" },
      { from: "src/planner/planner.ts", to: "passes/placement.ts" },
      { from: "src/predictor/predict.ts", to: "src/scheduler/sac.ts" },
      { from: "ir/graph.ts", to: "src/io/output.ts" },
      { from: "src/sim/simulator.ts", to: "src/planner/plan-cost.ts" },
    ];
    expect(violations(planted, layers)).to.have.length(planted.length);
    expect(violations([{ from: "src/planner/planner.ts", to: "src/sim/simulator.ts" }, { from: "passes/placement.ts", to: "src/planner/planner.ts" }], layers)).to.deep.equal([]);
  });

  it("the table places every source folder and allows none of the hard-ruled imports", () => {
    expect(sourceFolders(PROJECT_ROOT).filter((f) => !layers.has(f)), "folders missing from the table in docs/architecture.md").to.deep.equal([]);
    expect(layers.get("ir")).to.equal(0);
    expect(layers.get("src/cli")).to.equal(Math.max(...layers.values()));
    for (const p of ["src/planner", "src/sim", "src/devices"]) expect(layers.get(p)!, `${p} must sit below passes/`).to.be.lessThan(layers.get("passes")!);
    expect([...layers].filter(([f, l]) => f !== "src/cli" && l === layers.get("src/cli")), "src/cli alone on the top layer").to.deep.equal([]);
  });

  it("every import between folders goes down the table in docs/architecture.md", () => {
    expect(edges.length, "the import reader found the project's imports").to.be.greaterThan(500);
    expect(violations(edges, layers, KNOWN_EXCEPTIONS)).to.deep.equal([]);
  });

  it("every known exception is still there (a fixed one leaves the list)", () => {
    const stale = KNOWN_EXCEPTIONS.filter((x) => !edges.some((e) => e.from === x.from && e.to === x.to));
    expect(stale.map((x) => `${x.from} -> ${x.to}`), "no longer imported: remove from KNOWN_EXCEPTIONS and the note in docs/architecture.md").to.deep.equal([]);
    expect(violations(KNOWN_EXCEPTIONS, layers), "each exception breaks the order (else it need not be listed)").to.have.length(KNOWN_EXCEPTIONS.length);
  });

  it("no two source files share a basename without a reason", () => {
    const byName = new Map<string, string[]>();
    for (const f of SOURCE_ROOTS.flatMap(sourceFiles)) {
      if (SAME_NAME_REASONS.some(([pattern]) => pattern.test(f))) continue;
      const name = f.slice(f.lastIndexOf("/") + 1);
      byName.set(name, [...(byName.get(name) ?? []), f]);
    }
    expect([...byName.values()].filter((files) => files.length > 1), "rename one of each pair, or give the reason in SAME_NAME_REASONS").to.deep.equal([]);
  });
});
