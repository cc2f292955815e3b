// Live re-planning: make a package's plan again for a new hardware-state snapshot (the profile
// adjusted for it, the scheduler observing it), and the check that says when to: a device whose
// measured partition times drift from the plan's prediction by more than a set ratio
// (src/runtime/drift.ts, which `sparoa run` and `sparoa bench` report); switching plans mid-run
// is left for later.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { HardwareState } from "../devices/hardware-state.ts";
import type { PackageManifest } from "../package/manifest.ts";
import { validateManifest } from "../package/validate.ts";
import { optimize, type OptimizeOptions, type OptimizeResult } from "./optimize.ts";

export type ReplanOptions = Omit<OptimizeOptions, "model" | "device" | "stateSnapshot" | "state" | "inputShapes"> & { device?: string };

/** The options a package was planned with that a re-plan keeps: its source model, profile and input shapes. */
export function packageSource(packageDir: string): { model: string; device: string; inputShapes: string[]; manifest: PackageManifest } {
  const file = join(packageDir, "manifest.json");
  const manifest = validateManifest(JSON.parse(readFileSync(file, "utf8")), file);
  const model = resolve(packageDir, manifest.source.file);
  const inputShapes = Object.entries(manifest.plan.inputShapes ?? {}).filter(([, d]) => d && d.every((x) => typeof x === "number")).map(([name, d]) => `${name}=${d!.join("x")}`);
  return { model, device: manifest.plan.profile, inputShapes, manifest };
}

/** Plans `packageDir`'s source model again for `snapshot` and writes the new package to `options.out`. */
export async function replanPackage(packageDir: string, snapshot: HardwareState, options: ReplanOptions): Promise<OptimizeResult> {
  const src = packageSource(packageDir);
  if (resolve(options.out) === resolve(packageDir) || resolve(dirname(options.out)) === resolve(packageDir)) throw new Error(`${options.out}: a re-plan writes a new package beside ${packageDir}, never into it`);
  return optimize({ ...options, model: src.model, device: options.device ?? src.device, inputShapes: src.inputShapes, stateSnapshot: snapshot });
}
