// Importing this registers every pass and named pipeline.
import "./dce.ts";
import "./canonicalize.ts";
import "./shape-inference.ts";
import "./cost.ts";
import "./weight-sparsity.ts";
import "./activation-sparsity.ts";
import "./placement.ts";
import "./partition.ts";
import { registerPipeline } from "./registry.ts";

registerPipeline("cleanup", "canonicalize,dce", "sort topologically, then remove dead code");

export * from "./pass.ts";
export * from "./manager.ts";
export * from "./pipeline.ts";
export * from "./registry.ts";
export * from "./instruments.ts";
