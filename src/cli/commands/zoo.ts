// `sparoa zoo -o DIR`: generate a seeded zoo of ONNX models (docs/zoo.md) with zoo.json.
import { existsSync, statSync } from "node:fs";
import type { Argv, CommandModule } from "yargs";
import { SIZE_CLASSES, ZOO_FAMILIES, ZOO_PRESETS, isZooPreset, writePresets, writeZoo, type SizeClass, type ZooEntry, type ZooFamily, type ZooManifest } from "../../zoo/index.ts";
import { CliError } from "../errors.ts";
import { Progress } from "../../io/progress.ts";

interface ZooArgs { output: string; count: number; seed: number; families?: string; sizes?: string; preset?: string; json: boolean }

export const zooCommand: CommandModule<object, ZooArgs> = {
  command: "zoo",
  describe: "generate a seeded zoo of CNN, multi-branch and transformer ONNX models with random pruning, plus zoo.json (specs, held-out split)",
  builder: (y) => (y as Argv<object>)
    .option("output", { alias: "o", type: "string", demandOption: true, describe: "folder to write <family>-<i>.onnx and zoo.json into (created if missing)" })
    .option("count", { alias: "n", type: "number", default: 16, describe: "how many models; families are cycled so each appears" })
    .option("seed", { alias: "s", type: "number", default: 0, describe: "seed of the specs and weights (same seed, same files)" })
    .option("families", { type: "string", describe: `comma-separated subset of: ${ZOO_FAMILIES.join(", ")}` })
    .option("sizes", { type: "string", describe: `comma-separated subset of: ${SIZE_CLASSES.join(", ")} (drawn 3:3:1)` })
    .option("preset", { type: "string", describe: `write named models instead (<preset>.onnx), comma-separated: ${Object.keys(ZOO_PRESETS).join(", ")}` })
    .option("json", { type: "boolean", default: false, describe: "print the written zoo.json to stdout" })
    .example("$0 zoo -o zoo --count 40 --seed 1", "40 models of every family and size class")
    .example("$0 zoo -o zoo-small --count 16 --sizes small --families vit,mlp-mixer", "small transformer models only")
    .example("$0 zoo -o bench-models --preset vit-large,cnn-medium", "named models (vit-large: 12 layers, >1,400 placeable nodes)")
    .example("$0 zoo -o zoo --count 8 --json | jq '.models[] | {file, split}'", "the manifest as JSON") as unknown as Argv<ZooArgs>,
  handler: (argv) => {
    if (!Number.isInteger(argv.count) || argv.count < 1) throw new CliError(`--count must be a positive integer (got ${argv.count})`);
    if (!Number.isInteger(argv.seed) || argv.seed < 0) throw new CliError(`--seed must be a non-negative integer (got ${argv.seed})`);
    if (existsSync(argv.output) && !statSync(argv.output).isDirectory()) throw new CliError(`${argv.output}: exists and is not a folder (-o names the zoo's folder)`);
    const families = listOption("--families", argv.families, ZOO_FAMILIES) as ZooFamily[] | undefined;
    const sizes = listOption("--sizes", argv.sizes, SIZE_CLASSES) as SizeClass[] | undefined;
    const presets = listOption("--preset", argv.preset, Object.keys(ZOO_PRESETS))?.filter(isZooPreset);
    if (presets && (families || sizes)) throw new CliError("--preset names fixed models; it does not combine with --families or --sizes");

    const total = presets?.length ?? argv.count;
    const tty = process.stderr.isTTY === true;
    const bar = new Progress("zoo", total, tty);
    const started = Date.now();
    // Progress on stderr: a bar on a terminal, one line per model when piped (CI logs).
    const onModel = (i: number, e: ZooEntry) => {
      if (tty) bar.tick(1, e.file);
      else process.stderr.write(`zoo: ${i + 1}/${total} ${e.file} (${e.spec.size}, ${e.stats.placeableNodes} placeable nodes, ${(e.bytes / 1e6).toFixed(1)} MB)\n`);
    };
    const manifest = presets ? writePresets(argv.output, presets, argv.seed, onModel) : writeZoo(argv.output, { count: argv.count, seed: argv.seed, families, sizes, onModel });
    bar.finish();
    if (argv.json) process.stdout.write(JSON.stringify(manifest, null, 2) + "\n");
    else process.stdout.write(summary(manifest, argv.output, (Date.now() - started) / 1000));
  },
};

function listOption(flag: string, raw: string | undefined, allowed: readonly string[]): string[] | undefined {
  if (raw === undefined) return undefined;
  const items = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const unknown = items.filter((s) => !allowed.includes(s));
  if (unknown.length > 0) throw new CliError(`${flag}: unknown ${unknown.map((s) => `'${s}'`).join(", ")}; choose from ${allowed.join(", ")}`);
  if (items.length === 0) throw new CliError(`${flag}: empty list; choose from ${allowed.join(", ")}`);
  return [...new Set(items)];
}

function summary(m: ZooManifest, dir: string, seconds: number): string {
  const rows = m.models.map((e) => [e.file, e.split, e.spec.size, String(e.stats.nodes), String(e.stats.placeableNodes), (e.stats.parameters / 1e6).toFixed(2), `${e.spec.pruning.kind}${e.spec.pruning.kind === "none" ? "" : ` ${e.spec.pruning.level}`}`, e.spec.activation]);
  const head = ["file", "split", "size", "nodes", "placeable", "params(M)", "pruning", "activation"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd() + "\n";
  const test = m.models.filter((e) => e.split === "test").length;
  const mb = m.models.reduce((a, e) => a + e.bytes, 0) / 1e6;
  return line(head) + rows.map(line).join("") +
    `wrote ${m.models.length} models (${mb.toFixed(1)} MB) and zoo.json to ${dir} in ${seconds.toFixed(1)} s; split: ${m.models.length - test} train, ${test} test (held out: families ${m.split.heldOutFamilies.join(", ")}; size ${m.split.heldOutSizes.join(", ")})\n`;
}
