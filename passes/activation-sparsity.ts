// Activation sparsity: runs the model with onnxruntime on calibration samples and records, per
// node, the fraction of zeros in its non-constant inputs and in its outputs, element-weighted
// over the whole calibration set (zeros summed over samples / elements summed over samples).
// Definitions and the combined `sparsity` are in docs/sparsity.md.
//
// Options: samples=N (8), seed=S (0), inputs=NAME=FILE;NAME=FILE (user data, one sample per
// file), input-shape=NAME=1x3x224x224;..., eps=1e-3 (also count |x| < eps), chunk-mb=N (default max(32, weight MiB / 2)),
// if-unrunnable=fail|warn (warn: skip with a warning when onnxruntime cannot run the model).
import { DataType, isFloatType } from "../ir/dtype.ts";
import type { Model } from "../ir/model.ts";
import type { Value } from "../ir/value.ts";
import { NodeKey, ValueKey } from "../ir/annotation-keys.ts";
import { ConstantOracle } from "../ir/constants.ts";
import { isViewOnly } from "../ir/node-roles.ts";
import type { Pass, PassContext, PassOptions, PassResult } from "./pass.ts";
import { lookupPass } from "./registry.ts";
import { calibrate, DEFAULT_SAMPLES, type Observation } from "./support/calibrate.ts";
import { countableInGraph, countZeros, countZerosInGraph, type Counts } from "./support/zero-counts.ts";
import { CalibrationInputError, parseCalibrationFile } from "./support/calibration-inputs.ts";
import { concreteInputShapes, parseInputShapes } from "./shapes/input-shapes.ts";
import { updateCombinedSparsity } from "./support/combined-sparsity.ts";

function listOption(text: string | undefined): string[] {
  return (text ?? "").split(";").map((s) => s.trim()).filter((s) => s !== "");
}

function numberOption(options: PassOptions, key: string, fallback: number, check: (n: number) => boolean, what: string): number {
  const text = options[key];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || !check(n)) throw new Error(`option ${key}=${text}: expected ${what}`);
  return n;
}

export function activationSparsityPass(options: PassOptions): Pass {
  return {
    name: "activation-sparsity",
    description: "zero fraction of each node's activations over calibration runs on onnxruntime (samples=, seed=, inputs=, eps=)",
    // Weight sparsity first, so the combined sparsity sees both operands.
    requires: lookupPass("weight-sparsity") ? ["weight-sparsity"] : [],
    preserves: "all",
    async run(model: Model, ctx: PassContext): Promise<PassResult> {
      const samples = numberOption(options, "samples", DEFAULT_SAMPLES, (n) => Number.isInteger(n) && n >= 1, "a whole number of samples >= 1");
      const seed = numberOption(options, "seed", 0, (n) => Number.isInteger(n) && n >= 0, "a whole number >= 0");
      const eps = numberOption(options, "eps", 0, (n) => n >= 0, "a number >= 0");
      const chunkMb = options["chunk-mb"] === undefined ? undefined : numberOption(options, "chunk-mb", 0, (n) => n > 0, "a size in MiB > 0");
      const onUnrunnable = options["if-unrunnable"] ?? "fail";
      if (onUnrunnable !== "fail" && onUnrunnable !== "warn") throw new Error(`option if-unrunnable=${onUnrunnable}: expected fail or warn`);
      const files = new Map<string, string[]>();
      for (const item of listOption(options.inputs)) {
        const [name, file] = parseCalibrationFile(item);
        files.set(name, [...(files.get(name) ?? []), file]);
      }
      const inputShapes = concreteInputShapes(parseInputShapes(listOption(options["input-shape"])));

      const graph = model.graph;
      // The same line between weights and activations as the cost and weight-sparsity passes.
      const oracle = new ConstantOracle();
      const observed = graph.nodes.flatMap((n) => n.outputs).filter((v) => v.name !== "" && !oracle.isConstant(v));
      const counts = new Map<Value, Counts>();
      const count = (o: Observation) => {
        let c = counts.get(o.value);
        if (!c) counts.set(o.value, (c = { zeros: 0, near: 0, total: 0, dtype: o.dtype }));
        countZeros(o.dtype, o.data, eps, c);
      };
      // float32/64 values are counted inside onnxruntime (zero-counts.ts: one run per sample, only
      // scalars fetched); values of unknown or other float types are fetched and counted here.
      // Integer and bool values are never activations, so they are not observed at all.
      // A view (Reshape, Transpose, ...) holds its input's elements rearranged: same zeros, so it
      // takes its source's counts instead of being counted again (about 1 value in 8 in a ViT).
      const views = new Map<Value, Value>();
      for (const n of graph.nodes) {
        const src = n.inputs[0];
        const out = n.outputs[0];
        if (!isViewOnly(n) || !src || !out || !countableInGraph(out)) continue;
        const root = views.get(src) ?? src;
        if (!oracle.isConstant(root) && countableInGraph(root)) views.set(out, root);
      }
      const inGraph = observed.filter((v) => countableInGraph(v) && !views.has(v));
      const fetched = observed.filter((v) => !countableInGraph(v) && (v.type?.kind !== "tensor" || isFloatType(v.type.elemType)));
      const calibration = { files, samples, seed, inputShapes, chunkBytes: chunkMb === undefined ? undefined : chunkMb * 2 ** 20 };
      const summary = { samples: 0, runs: 0 };
      try {
        const r = await countZerosInGraph(model, { ...calibration, onProgress: (done, total) => ctx.progress("activation sparsity", done, total) }, inGraph, eps, count);
        for (const [v, c] of r.counts) counts.set(v, c);
        summary.samples = r.samples;
        summary.runs = r.runs;
        if (fetched.length > 0) {
          const inputs = new Set(model.graph.inputs);
          const rest = await calibrate(model, { ...calibration, values: fetched, onProgress: (done, total) => ctx.progress("activation sparsity (other types)", done, total) }, (o) => {
            if (!inputs.has(o.value)) count(o);
          });
          summary.runs += rest.runs;
        }
        for (const [view, root] of views) {
          const c = counts.get(root);
          if (c) counts.set(view, { ...c });
        }
      } catch (e) {
        if (e instanceof CalibrationInputError || onUnrunnable === "fail") throw e;
        ctx.warn(`activation sparsity skipped: onnxruntime cannot run the model (${(e as Error).message.split("\n")[0]})`);
        return { changed: false, statistics: { "nodes-annotated": 0 } };
      }

      for (const [value, c] of counts) {
        if (c.total === 0) continue;
        value.annotations.set(ValueKey.zeroFraction, c.zeros / c.total);
        if (eps > 0) value.annotations.set(ValueKey.nearZeroFraction, c.near / c.total);
      }
      // Only floating-point values are activations; indices, shapes and masks are not.
      const isActivation = (v: Value | null): v is Value => v !== null && !oracle.isConstant(v) && isFloatType(counts.get(v)?.dtype ?? DataType.UNDEFINED);
      let annotated = 0;
      for (const node of graph.nodes) {
        ctx.at(node);
        const ins = node.inputs.filter(isActivation).map((v) => counts.get(v)!);
        // Outputs nobody reads (Dropout's mask, say) say nothing about the data flowing on.
        const outs = node.outputs.filter((v) => isActivation(v) && (v.uses.length > 0 || v.isGraphOutput)).map((v) => counts.get(v)!);
        const put = (list: Counts[], zeroKey: string, nearKey: string) => {
          const total = list.reduce((a, c) => a + c.total, 0);
          if (total === 0) { node.annotations.delete(zeroKey); node.annotations.delete(nearKey); return; }
          node.annotations.set(zeroKey, list.reduce((a, c) => a + c.zeros, 0) / total);
          if (eps > 0) node.annotations.set(nearKey, list.reduce((a, c) => a + c.near, 0) / total);
          else node.annotations.delete(nearKey);
        };
        put(ins, NodeKey.inputSparsity, NodeKey.inputNearZero);
        put(outs, NodeKey.outputSparsity, NodeKey.outputNearZero);
        if (ins.length + outs.length > 0) annotated++;
        updateCombinedSparsity(node);
      }
      ctx.currentNode = null;
      return {
        changed: annotated > 0,
        statistics: { samples: summary.samples, "values-observed": counts.size, "nodes-annotated": annotated, "onnxruntime-runs": summary.runs },
      };
    },
  };
}
