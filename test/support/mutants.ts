// Mutation check of the equality tests: damage a package in the ways a wrong cut would, and see
// that each comparison we rely on fails. Mutants: two boundary tensors of equal type swapped
// (a consumer reads the wrong one), one weight tensor scaled by 1.01, one partition output that
// another partition reads dropped, two dependent partitions that read the same value run in the
// other order. Detectors: `optimize --check`'s comparison (src/package/check.ts), the runtime
// corpus tests' comparison (loadPackage + run vs plain onnxruntime, rtol 1e-4 / atol 1e-5) and
// `sparoa run`'s outputs against plain onnxruntime (same tolerances).
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type * as ort from "onnxruntime-node";
import { DataType, Tensor, loadModel, saveModel, type Node, type Value } from "../../ir/index.ts";
import { formatShape } from "../../ir/types.ts";
import { npyBytes, readNpy } from "../../src/io/npy.ts";
import { checkPackage } from "../../src/package/check.ts";
import type { PackageManifest } from "../../src/package/manifest.ts";
import { compareTensors, fromOrtTensor, toOrtTensor } from "../../ort/tensor-bridge.ts";
import { loadPackage } from "../../src/runtime/runtime.ts";
import { safeFileName } from "../../src/cli/commands/run.ts";
import { runOrtSession } from "./ort-run.ts";
import { exposeValues } from "../../passes/support/calibrate.ts";
import { modelBytes } from "../../ir/onnx/file.ts";
import { runSparoa } from "./sparoa-cli.ts";
import { writeHandPackage, type Placement } from "./hand-package.ts";

export const RTOL = 1e-4;
export const ATOL = 1e-5;

export type Detector = "check" | "runtime" | "sparoa run";
export const DETECTORS: readonly Detector[] = ["check", "runtime", "sparoa run"];

export interface Mutant { kind: string; what: string; apply(dir: string): void }

function readManifest(dir: string): PackageManifest {
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as PackageManifest;
}

function typeKey(v: Value): string | undefined {
  return v.type?.kind === "tensor" && v.type.shape ? `${v.type.elemType}:${formatShape(v.type.shape)}` : undefined;
}

/** Whether `a` and `b` are read only together, as operands of commutative ops (hard-swish's Mul(x, Clip(x + 3))): swapping them changes nothing. */
function commutedOnly(a: Value, b: Value): boolean {
  const commutative = new Set(["Add", "Mul", "Sum", "Max", "Min", "Mean"]);
  return [[a, b], [b, a]].every(([x, y]) => x!.uses.every((u) => commutative.has(u.node.opType) && u.node.inputs.includes(y!)));
}

/** The mutants of the package in `dir` (those that do not apply to it are left out, with a note). */
export async function mutantsOf(dir: string, distinct: (a: string, b: string) => Promise<boolean>, notes: string[] = []): Promise<Mutant[]> {
  const manifest = readManifest(dir);
  const out: Mutant[] = [];
  const produced = new Set(manifest.partitions.flatMap((p) => p.outputs));

  // 1. Swap two boundary tensors of equal type read by one partition (or, failing that, written
  // by one) whose values differ on the probe: Clip(x) is x when nothing is clipped, and swapping
  // equal tensors is no damage at all.
  let swap: { part: PackageManifest["partitions"][number]; side: "inputs" | "outputs"; a: string; b: string } | undefined;
  const commuted = new Set<string>();
  search: for (const side of ["inputs", "outputs"] as const) {
    for (const part of manifest.partitions) {
      const model = loadModel(join(dir, part.file));
      const values = (side === "inputs" ? model.graph.inputs.filter((v) => !v.initializer && produced.has(v.name)) : model.graph.outputs);
      for (let i = 0; i < values.length; i++) for (let j = i + 1; j < values.length; j++) {
        const key = [values[i]!.name, values[j]!.name].sort().join("\n");
        // Read only together by a commutative op in the reading partition: no damage, on either side.
        if (side === "inputs" && commutedOnly(values[i]!, values[j]!)) commuted.add(key);
        if (typeKey(values[i]!) && typeKey(values[i]!) === typeKey(values[j]!) && !commuted.has(key) && (await distinct(values[i]!.name, values[j]!.name))) {
          swap = { part, side, a: values[i]!.name, b: values[j]!.name };
          break search;
        }
      }
    }
  }
  if (swap) {
    out.push({
      kind: "swap boundary tensors", what: `partition ${swap.part.id} ${swap.side === "inputs" ? "reads" : "writes"} '${swap.a}' and '${swap.b}' swapped`,
      apply: (d) => {
        const file = join(d, swap.part.file);
        const model = loadModel(file);
        const list = swap.side === "inputs" ? model.graph.inputs : model.graph.outputs;
        const a = list.find((v) => v.name === swap.a)!;
        const b = list.find((v) => v.name === swap.b)!;
        a.name = "__sparoa_swap__";
        b.name = swap.a;
        a.name = swap.b;
        saveModel(model, file);
      },
    });
  } else notes.push("no two boundary tensors of equal type and different values in one partition: swap not applicable");

  // 2. Scale the largest float weight of any partition by 1.01 (an initializer, or a Constant node's value).
  let weight: { file: string; name: string; size: number; constant: boolean } | undefined;
  for (const part of manifest.partitions) {
    const g = loadModel(join(dir, part.file)).graph;
    for (const [name, v] of g.initializers) {
      const t = v.initializer!;
      if (t.dtype === DataType.FLOAT && v.uses.length > 0 && t.size > (weight?.size ?? 1)) weight = { file: part.file, name, size: t.size, constant: false };
    }
    for (const n of g.nodes) {
      const a = n.opType === "Constant" ? n.attributes.get("value") : undefined;
      // Only a constant read in this file: a hand cut can leave a dead copy where the Constant sat.
      if (a?.kind === "tensor" && a.value.dtype === DataType.FLOAT && n.outputs[0]!.uses.length > 0 && a.value.size > (weight?.size ?? 1)) weight = { file: part.file, name: n.outputs[0]!.name, size: a.value.size, constant: true };
    }
  }
  if (weight) {
    const w = weight;
    out.push({
      kind: "perturb a weight by 1%", what: `'${w.name}' (${w.size} values) in ${w.file} times 1.01`,
      apply: (d) => {
        const file = join(d, w.file);
        const model = loadModel(file);
        const scaled = (t: Tensor) => Tensor.fromArray(t.name, DataType.FLOAT, t.dims, Float32Array.from(t.toNumbers(), (x) => x * 1.01));
        if (w.constant) {
          const node = model.graph.nodes.find((n) => n.outputs[0]?.name === w.name)!;
          const a = node.attributes.get("value")!;
          // A fresh attribute: one spread from `a` keeps a.source, and export would write the original bytes.
          if (a.kind === "tensor") node.attributes.set("value", { name: a.name, kind: "tensor", value: scaled(a.value) });
        } else {
          const v = model.graph.initializers.get(w.name)!;
          v.initializer = scaled(v.initializer!);
        }
        saveModel(model, file);
      },
    });
  } else notes.push("no float weight: perturbation not applicable");

  // 3. Drop an output of a partition that a later partition reads.
  const read = new Set(manifest.partitions.flatMap((p) => p.inputs));
  const dropFrom = manifest.partitions.find((p) => p.outputs.some((o) => read.has(o)));
  if (dropFrom) {
    const name = dropFrom.outputs.find((o) => read.has(o))!;
    out.push({
      kind: "drop a partition output", what: `partition ${dropFrom.id} no longer writes '${name}'`,
      apply: (d) => {
        const file = join(d, dropFrom.file);
        const model = loadModel(file);
        model.graph.outputs.splice(model.graph.outputs.findIndex((v) => v.name === name), 1);
        saveModel(model, file);
        const m = readManifest(d);
        const p = m.partitions.find((q) => q.id === dropFrom.id)!;
        p.outputs = p.outputs.filter((o) => o !== name);
        writeFileSync(join(d, "manifest.json"), JSON.stringify(m, null, 2));
      },
    });
  } else notes.push("no partition output read by another partition: drop not applicable");

  // 4. Reorder two partitions that read the same value, the later one depending on the earlier.
  const parts = manifest.partitions;
  let pair: [number, number] | undefined;
  for (let i = 0; i < parts.length && !pair; i++) for (let j = i + 1; j < parts.length && !pair; j++) {
    const shared = parts[i]!.inputs.some((n) => parts[j]!.inputs.includes(n));
    const dependent = parts[j]!.inputs.some((n) => parts[i]!.outputs.includes(n));
    if (shared && dependent) pair = [i, j];
  }
  if (pair) {
    const [i, j] = pair;
    out.push({
      kind: "reorder partitions", what: `partitions ${parts[i]!.id} and ${parts[j]!.id} (both read '${parts[i]!.inputs.find((n) => parts[j]!.inputs.includes(n))}') run in the other order`,
      apply: (d) => {
        const m = readManifest(d);
        [m.partitions[i], m.partitions[j]] = [m.partitions[j]!, m.partitions[i]!];
        writeFileSync(join(d, "manifest.json"), JSON.stringify(m, null, 2));
      },
    });
  } else notes.push("no dependent partitions that read the same value: reorder not applicable");
  return out;
}

/** Copy of the package in `dir` with `mutant` applied, in `into`. */
export function mutate(dir: string, mutant: Mutant, into: string): string {
  mkdirSync(into, { recursive: true });
  cpSync(dir, into, { recursive: true });
  mutant.apply(into);
  return into;
}

export interface Probe { original: string; feeds: Record<string, ort.Tensor>; work: string }

/** Why a detector refuses the package in `dir` (undefined: it passes). */
export async function detect(detector: Detector, dir: string, probe: Probe): Promise<string | undefined> {
  try {
    const expected = (await runOrtSession(probe.original, probe.feeds, { logSeverityLevel: 3 })).outputs;
    const differs = (name: string, got: ort.Tensor | undefined) => {
      if (!got) return `output '${name}' missing`;
      const c = compareTensors(fromOrtTensor(name, got), fromOrtTensor(name, expected[name]!), RTOL, ATOL);
      return c.ok ? undefined : `output '${name}' differs (max abs ${c.maxAbs.toExponential(2)})`;
    };
    if (detector === "check") {
      const inputs = new Map(Object.entries(probe.feeds).map(([k, t]) => [k, fromOrtTensor(k, t)] as [string, Tensor]));
      const r = await checkPackage(probe.original, dir, inputs, { rtol: RTOL, atol: ATOL, optimization: "all" });
      return r.ok ? undefined : r.outputs.filter((o) => !o.ok).map((o) => `${o.against} '${o.name}': ${o.reason ?? "differs"}`).join("; ");
    }
    if (detector === "runtime") {
      const rt = await loadPackage(dir, { processorMap: "gpu=cpu", threads: 1 });
      try {
        const got = await rt.run(probe.feeds);
        return Object.keys(expected).map((n) => differs(n, got[n])).find((w) => w);
      } finally {
        await rt.close();
      }
    }
    const files = Object.entries(probe.feeds).map(([k, t]) => {
      const f = join(probe.work, `${safeFileName(k)}.npy`);
      writeFileSync(f, npyBytes(fromOrtTensor(k, t)));
      return ["--input", `${k}=${f}`];
    }).flat();
    const out = join(probe.work, `run-${Math.random().toString(36).slice(2)}`);
    const r = await runSparoa(["run", dir, ...files, "-o", out, "--processor-map", "gpu=cpu", "--threads", "1"]);
    if (r.code !== 0) return `exit ${r.code}: ${r.stderr.trim().split("\n")[0]}`;
    return Object.keys(expected).map((n) => {
      let got: ort.Tensor | undefined;
      try { got = toOrtTensor(readNpy(join(out, `${safeFileName(n)}.npy`), n)); } catch { got = undefined; }
      return differs(n, got);
    }).find((w) => w);
  } catch (e) {
    return `error: ${(e as Error).message.split("\n")[0]}`;
  }
}

export interface MutationCase { name: string; model: string; feeds: Record<string, ort.Tensor> }

export interface MutantResult { model: string; kind: string; what: string; refusedBy: Partial<Record<Detector, string>>; survivedBy: Detector[] }

export interface MutationReport { results: MutantResult[]; notes: string[]; baselineFailures: string[] }

/**
 * Three slices (cpu, gpu, cpu) of the model's compute nodes; a Constant goes with its first
 * reader. Slicing all nodes by position left PP-OCRv4 det's first slice nothing but the
 * Constants paddle2onnx puts first, a partition onnxruntime cannot load.
 */
function thirds(modelPath: string): (node: Node, index: number) => Placement {
  const nodes = loadModel(modelPath).graph.nodes;
  const compute = nodes.filter((n) => n.opType !== "Constant");
  const slice = new Map(compute.map((n, i) => [n, Math.min(2, Math.floor((i * 3) / compute.length))]));
  const partitionOf = nodes.map((n) => slice.get(n) ?? Math.min(2, ...n.outputs.flatMap((v) => v.uses.map((u) => slice.get(u.node) ?? 2))));
  return (_n, i) => ({ partition: partitionOf[i]!, processor: partitionOf[i] === 1 ? "gpu" : "cpu" });
}

/** Cuts `c.model` into three partitions (cpu, gpu, cpu), checks that every detector accepts the package, then runs every detector on every mutant. */
export async function mutationCheck(c: MutationCase, work: string, onMutant: (r: MutantResult) => void = () => {}): Promise<MutationReport> {
  const dir = join(work, safeFileName(c.name), "package");
  await writeHandPackage(c.model, dir, thirds(c.model));
  const probe: Probe = { original: c.model, feeds: c.feeds, work: join(work, safeFileName(c.name)) };
  const baselineFailures: string[] = [];
  for (const d of DETECTORS) {
    const why = await detect(d, dir, probe);
    if (why) baselineFailures.push(`${c.name}: ${d} refuses the undamaged package: ${why}`);
  }
  const notes: string[] = [];
  const results: MutantResult[] = [];
  if (baselineFailures.length > 0) return { results, notes: [`${c.name}: no mutants: the undamaged package is refused`], baselineFailures };
  const distinct = async (a: string, b: string) => {
    const model = loadModel(c.model);
    const byName = new Map(model.graph.nodes.flatMap((n) => n.outputs).map((v) => [v.name, v]));
    const [va, vb] = [byName.get(a), byName.get(b)];
    if (va && vb && commutedOnly(va, vb)) return false; // judged in the whole model: the readers may sit in another partition
    exposeValues(model, [va, vb].filter((v): v is Value => v !== undefined));
    const out = (await runOrtSession(modelBytes(model), c.feeds, { logSeverityLevel: 3 })).outputs;
    if (!out[a] || !out[b]) return true;
    return !compareTensors(fromOrtTensor(a, out[a]), fromOrtTensor(b, out[b]), RTOL, ATOL).ok;
  };
  for (const [i, m] of (await mutantsOf(dir, distinct, notes)).entries()) {
    const mutated = mutate(dir, m, join(work, safeFileName(c.name), `mutant-${i}`));
    const r: MutantResult = { model: c.name, kind: m.kind, what: m.what, refusedBy: {}, survivedBy: [] };
    for (const d of DETECTORS) {
      const why = await detect(d, mutated, probe);
      if (why) r.refusedBy[d] = why;
      else r.survivedBy.push(d);
    }
    results.push(r);
    onMutant(r);
  }
  return { results, notes: notes.map((n) => `${c.name}: ${n}`), baselineFailures };
}
