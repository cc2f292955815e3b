// The one place the built-in passes and named pipelines are registered. Library entry points
// (optimize(), the pipeline runner, the profiler, the predictor's dataset builder) and the
// `passes` command call registerBuiltinPasses() themselves, so no caller depends on another
// module having been imported first.
import { activationSparsityPass } from "./activation-sparsity.ts";
import { costPass } from "./cost.ts";
import { dcePass } from "./dce.ts";
import { partitionPass } from "./partition.ts";
import { placementPass } from "./placement.ts";
import { registerPass, registerPassAlias, registerPipeline } from "./registry.ts";
import { shapeInferencePass } from "./shape-inference.ts";
import { topoSortPass } from "./topo-sort.ts";
import { weightSparsityPass } from "./weight-sparsity.ts";

let registered = false;

/** Registers every built-in pass and named pipeline; later calls do nothing. */
export function registerBuiltinPasses(): void {
  if (registered) return;
  registered = true;
  // weight-sparsity before activation-sparsity: the latter requires it when it is registered.
  for (const factory of [dcePass, topoSortPass, shapeInferencePass, costPass, weightSparsityPass, activationSparsityPass, placementPass, partitionPass]) registerPass(factory);
  registerPassAlias("canonicalize", "topo-sort");
  registerPipeline("cleanup", "topo-sort,dce", "sort topologically, then remove dead code");
}
