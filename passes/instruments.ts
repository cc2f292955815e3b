// Instruments behind the CLI flags: --print-ir-after-all / --print-ir-after=PASS /
// --print-ir-after-change, --dump-dir, --time-passes, --pass-statistics, --verify-each.
import { copyFileSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { assertMayWrite, OutputGuardError } from "../ir/onnx/file-guard.ts";
import { join } from "node:path";
import type { Model } from "../ir/model.ts";
import { modelBytes } from "../ir/onnx/file.ts";
import { printModel } from "../ir/print/text.ts";
import { verifyModel } from "../ir/verify.ts";
import { PassError, type Pass } from "./pass.ts";
import type { PassInstrument, PassRun } from "./manager.ts";

export type Sink = (text: string) => void;

/**
 * An analysis that writes annotations leaves the graph as it was but the printed IR (annotations
 * after `#`) does change: the manager marks its run `annotationsOnly`, and for passes that do not
 * declare what they annotate the IR text before each pass is kept and compared. Such a pass is
 * printed, marked "(annotations only)", never "(no change)".
 */
export class PrintIR implements PassInstrument {
  private before = "";

  constructor(private readonly when: "all" | "change" | ReadonlySet<string>, private readonly sink: Sink) {}

  beforePipeline(model: Model): void {
    this.before = printModel(model);
  }

  afterPass(pass: Pass, model: Model, run: PassRun): void {
    const text = printModel(model);
    const printed = text !== this.before;
    this.before = text;
    const changed = run.result.changed || printed;
    const wanted = this.when === "all" || (this.when === "change" ? changed : this.when.has(pass.name));
    if (!wanted) return;
    const note = run.annotationsOnly || (!run.result.changed && printed) ? " (annotations only)" : run.result.changed ? "" : " (no change)";
    this.sink(`// -----// IR Dump After ${pass.name}${note} //----- //\n${text}`);
  }
}

/**
 * One numbered text + .onnx file per pass; when a pass throws, the IR from before it as a
 * reproducer. The previous dump already is that IR, so the reproducer is a copy of it and no
 * pass pays for an extra encode. `onnx: false` (text-only, for big models: a full model per
 * pass is 313 MB for a 47 MB ResNet-18) writes the .onnx of the input only, and a failing pass
 * points at it (with the pipeline, it reproduces the failure).
 */
export class DumpDir implements PassInstrument {
  private lastOnnx: string | undefined;

  constructor(private readonly dir: string, private readonly onnx = true) {
    let isFolder = false;
    try { isFolder = statSync(dir).isDirectory(); } catch { /* created below */ }
    if (!isFolder) {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        const why = code === "EEXIST" || code === "ENOTDIR" ? "a file of that name is in the way" : code === "EACCES" ? "permission denied" : code ?? (e as Error).message;
        throw new OutputGuardError(`--dump-dir ${dir}: cannot create the folder (${why})`);
      }
    }
  }

  beforePipeline(model: Model): void {
    this.write("00-input", model);
  }

  afterPass(pass: Pass, model: Model, run: PassRun): void {
    this.write(`${String(run.index).padStart(2, "0")}-${pass.name}`, model);
  }

  onFailure(pass: Pass, _model: Model, index: number): string | undefined {
    if (!this.lastOnnx) return undefined;
    if (!this.onnx) return this.lastOnnx;
    const file = join(this.dir, `${String(index).padStart(2, "0")}-${pass.name}.reproducer.onnx`);
    assertMayWrite(file, "--dump-dir file");
    copyFileSync(this.lastOnnx, file);
    return file;
  }

  private write(stem: string, model: Model): void {
    const text = join(this.dir, `${stem}.txt`);
    const onnx = join(this.dir, `${stem}.onnx`);
    const writeOnnx = this.onnx || !this.lastOnnx;
    for (const f of writeOnnx ? [text, onnx] : [text]) assertMayWrite(f, "--dump-dir file");
    try {
      writeFileSync(text, printModel(model));
      if (writeOnnx) writeFileSync(onnx, modelBytes(model, { annotationsAsMetadata: true }));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === undefined) throw e;
      throw new OutputGuardError(`--dump-dir ${this.dir}: cannot write ${stem} (${code === "EISDIR" ? "a folder of that name is in the way" : code})`);
    }
    if (writeOnnx) this.lastOnnx = onnx;
  }
}

export class VerifyEach implements PassInstrument {
  afterPass(pass: Pass, model: Model): void {
    const problems = verifyModel(model);
    if (problems.length > 0) {
      throw new PassError(pass.name, null, new Error(`left the IR invalid: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? ` (+${problems.length - 3} more)` : ""}`));
    }
  }
}

export class TimePasses implements PassInstrument {
  constructor(private readonly sink: Sink) {}

  afterPipeline(_model: Model, runs: readonly PassRun[]): void {
    const total = runs.reduce((a, r) => a + r.milliseconds, 0);
    const rows = runs.map((r) => [r.milliseconds.toFixed(2), total > 0 ? ((100 * r.milliseconds) / total).toFixed(1) : "0.0", `${r.pass.name}${r.scheduled ? " (required)" : ""}`]);
    const lines = ["===-------------------------------------------------------------------------===",
      "                         ... Pass execution timing report ...",
      "===-------------------------------------------------------------------------===",
      `  Total Execution Time: ${(total / 1000).toFixed(4)} seconds`, "",
      "   Wall Time (ms)   (%)   Name",
      ...rows.map(([ms, pct, name]) => `  ${ms!.padStart(14)} ${pct!.padStart(6)}  ${name}`),
      `  ${total.toFixed(2).padStart(14)}  100.0  Total`];
    this.sink(lines.join("\n") + "\n");
  }
}

export class PassStatistics implements PassInstrument {
  constructor(private readonly sink: Sink) {}

  afterPipeline(_model: Model, runs: readonly PassRun[]): void {
    const lines = ["===-------------------------------------------------------------------------===",
      "                         ... Pass statistics report ...",
      "===-------------------------------------------------------------------------==="];
    for (const r of runs) {
      lines.push(`${r.pass.name}${r.result.changed ? " (changed)" : ""}`);
      for (const [k, v] of Object.entries(r.result.statistics ?? {})) lines.push(`  (S) ${String(v).padStart(8)} ${k}`);
    }
    this.sink(lines.join("\n") + "\n");
  }
}
