// onnxruntime's own layer assignment (docs/deploy.md): each node of model.annotated.onnx carries
// a metadata_props entry `layer_ann` = "sparoa/<processor>/p<partition>", and one session option
// `session.layer_assignment_settings` maps those annotations to execution providers with prefix
// rules ("cpu(sparoa/cpu/); gpu(sparoa/gpu/)"). A user with plain onnxruntime then runs the plan
// as one session, without sparoa. Pure string logic: no onnxruntime import here.

/** The node metadata key onnxruntime's layering reads. */
export const LAYER_ANN_KEY = "layer_ann";

/** The session config key the settings string goes under (node binding: `extra.session.layer_assignment_settings`). */
export const LAYER_SETTINGS_KEY = "session.layer_assignment_settings";

/** `layer_ann` of a node on `processor` in partition `partition`. */
export function layerAnnotation(processor: string, partition: number | string | undefined): string {
  return partition === undefined ? `${annotationPrefix(processor)}` : `${annotationPrefix(processor)}p${partition}`;
}

/** The prefix every `layer_ann` of a processor starts with (the trailing slash keeps "gpu" from matching "gpu2"). */
export function annotationPrefix(processor: string): string {
  return `sparoa/${processor}/`;
}

/** onnxruntime's device word (its layer assignment's `cpu(...)`, `gpu(...)`) for a processor of the plan: `gpu` for GPU-like names, else `cpu`. */
export function ortDeviceWord(processor: string): string {
  return /^(gpu|cuda|dgpu|igpu)\d*$/i.test(processor) ? "gpu" : "cpu";
}

/**
 * The settings string: one rule per onnxruntime device, listing the annotation prefixes of the
 * processors it runs, in first-seen order. `deviceWord` maps a processor to onnxruntime's
 * device name (`ortDeviceWord` of the plan's own name by default).
 */
export function layerAssignmentSettings(processors: readonly string[], deviceWord: (processor: string) => string = ortDeviceWord): string {
  const rules = new Map<string, string[]>();
  for (const d of processors) {
    const word = deviceWord(d);
    const list = rules.get(word) ?? [];
    if (!list.includes(annotationPrefix(d))) list.push(annotationPrefix(d));
    rules.set(word, list);
  }
  return [...rules].map(([word, prefixes]) => `${word}(${prefixes.join(", ")})`).join("; ");
}

/** The processor a `layer_ann` written by sparoa names, or undefined for someone else's annotation. */
export function processorOfAnnotation(annotation: string): string | undefined {
  return /^sparoa\/([^/]+)\//.exec(annotation)?.[1];
}

/** One rule of the settings string: an onnxruntime device name and its annotation patterns. */
export interface LayerRule { device: string; patterns: string[] }

/**
 * The rules of a settings string, read leniently (onnxruntime itself rejects malformed ones at
 * session creation): `cpu(a, =b); gpu(c)` -> [{device: "cpu", patterns: ["a", "=b"]}, ...].
 */
export function parseLayerRules(settings: string): LayerRule[] {
  const rules: LayerRule[] = [];
  for (const entry of settings.split(";").map((e) => e.trim()).filter(Boolean)) {
    const m = /^([^()]+)\(([^()]*)\)$/.exec(entry);
    if (m) rules.push({ device: m[1]!.trim(), patterns: m[2]!.split(",").map((p) => p.trim()).filter(Boolean) });
  }
  return rules;
}

/** Whether a rule pattern (`prefix`, or `=exact`) matches an annotation. */
export function patternMatches(pattern: string, annotation: string): boolean {
  return pattern.startsWith("=") ? annotation === pattern.slice(1) : annotation.startsWith(pattern);
}
