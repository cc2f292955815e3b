// onnxruntime's own layer assignment (docs/deploy.md): each node of model.annotated.onnx carries
// a metadata_props entry `layer_ann` = "sparoa/<device>/p<partition>", and one session option
// `session.layer_assignment_settings` maps those annotations to execution providers with prefix
// rules ("cpu(sparoa/cpu/); gpu(sparoa/gpu/)"). A user with plain onnxruntime then runs the plan
// as one session, without sparoa. Pure string logic: no onnxruntime import here.

/** The node metadata key onnxruntime's layering reads. */
export const LAYER_ANN_KEY = "layer_ann";

/** The session config key the settings string goes under (node binding: `extra.session.layer_assignment_settings`). */
export const LAYER_SETTINGS_KEY = "session.layer_assignment_settings";

/** `layer_ann` of a node on `device` in partition `partition`. */
export function layerAnnotation(device: string, partition: number | string | undefined): string {
  return partition === undefined ? `${annotationPrefix(device)}` : `${annotationPrefix(device)}p${partition}`;
}

/** The prefix every `layer_ann` of a logical device starts with (the trailing slash keeps "gpu" from matching "gpu2"). */
export function annotationPrefix(device: string): string {
  return `sparoa/${device}/`;
}

/** onnxruntime's device word for a logical device of the plan: `gpu` for GPU-like names, else `cpu`. */
export function planDeviceWord(device: string): string {
  return /^(gpu|cuda|dgpu|igpu)\d*$/i.test(device) ? "gpu" : "cpu";
}

/**
 * The settings string: one rule per onnxruntime device, listing the annotation prefixes of the
 * logical devices it runs, in first-seen order. `deviceWord` maps a logical device to
 * onnxruntime's device name (the plan's own word by default).
 */
export function layerAssignmentSettings(devices: readonly string[], deviceWord: (device: string) => string = planDeviceWord): string {
  const rules = new Map<string, string[]>();
  for (const d of devices) {
    const word = deviceWord(d);
    const list = rules.get(word) ?? [];
    if (!list.includes(annotationPrefix(d))) list.push(annotationPrefix(d));
    rules.set(word, list);
  }
  return [...rules].map(([word, prefixes]) => `${word}(${prefixes.join(", ")})`).join("; ");
}

/** The logical device a `layer_ann` written by sparoa names, or undefined for someone else's annotation. */
export function deviceOfAnnotation(annotation: string): string | undefined {
  return /^sparoa\/([^/]+)\//.exec(annotation)?.[1];
}

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
