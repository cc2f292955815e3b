// @ts-check
// The one place onnxruntime sessions are created: the runtime's processor workers, the `--engine
// ort` session, calibration, `--check`, boundary type inference, the profiler and provider
// probes all call `openSession`. Checked JavaScript (`tsc` checks it through `// @ts-check`) so
// a processor worker imports it without a TypeScript loader (tsx costs 0.5-1 s per worker start).
import * as ort from "onnxruntime-node";

/**
 * What a session is created from: a file onnxruntime reads itself (external data next to it),
 * or model bytes plus the external-data files they name (a model built in memory).
 * @typedef {{ path: string } | { bytes: Uint8Array, externalData?: { path: string, data: Uint8Array }[] }} SessionSource
 */

/**
 * A session over `source` (a path or bytes given bare mean `{ path }` and `{ bytes }`).
 * External data in memory is passed only when there is some.
 * @param {SessionSource | string | Uint8Array} source
 * @param {ort.InferenceSession.SessionOptions} options
 * @returns {Promise<ort.InferenceSession>}
 */
export function openSession(source, options) {
  if (typeof source === "string") return ort.InferenceSession.create(source, options);
  if (source instanceof Uint8Array) return ort.InferenceSession.create(source, options);
  if ("path" in source) return ort.InferenceSession.create(source.path, options);
  const external = source.externalData;
  return ort.InferenceSession.create(source.bytes, external !== undefined && external.length > 0 ? { ...options, externalData: external } : options);
}

/**
 * Unavailable providers log native errors before throwing, and sparoa reports each problem once,
 * in words. onnxruntime's process-wide log level is fixed when its environment starts (the first
 * session), so the runtime and its workers call this before creating any.
 */
export function quietOnnxruntime() {
  ort.env.logLevel = "fatal";
}

/** The onnxruntime-node version (profiles and reports record it). */
export function onnxruntimeVersion() {
  return ort.env.versions.common;
}
