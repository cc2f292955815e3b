// Checks a request's tensors against the model's interface before anything runs, so a wrong
// name, dtype or shape is a one-line error and no partition ever starts on bad data.
import { SparoaError } from "../../ir/sparoa-error.ts";
import { dtypeName } from "../../ir/dtype.ts";
import { didYouMean } from "../../ir/names.ts";
import type { TensorSpec } from "../package/manifest.ts";
import { dtypeOfOrt } from "../../ort/tensor-bridge.ts";

export class InputError extends SparoaError {
  override name = "InputError";
}

export interface FeedShape { type: string; dims: readonly number[] }

function shortDtype(ortType: string): string {
  try {
    return dtypeName(dtypeOfOrt(ortType));
  } catch {
    return ortType;
  }
}

function formatDims(dims: readonly (number | string | null)[]): string {
  return `[${dims.map((d) => (d === null ? "?" : String(d))).join(",")}]`;
}

/** Throws an InputError naming the first problem; returns the symbolic dims' bound values. */
export function checkFeeds(feeds: ReadonlyMap<string, FeedShape>, specs: readonly TensorSpec[]): Map<string, number> {
  const expected = new Map(specs.map((s) => [s.name, s]));
  for (const name of feeds.keys()) {
    if (!expected.has(name)) {
      throw new InputError(`input '${name}': the model has no such input${didYouMean(name, expected.keys())} (inputs: ${specs.map((s) => s.name).join(", ")})`);
    }
  }
  const missing = specs.filter((s) => !feeds.has(s.name));
  if (missing.length > 0) {
    throw new InputError(`missing input${missing.length > 1 ? "s" : ""} ${missing.map((s) => `'${s.name}' (${s.dtype}${s.shape ? formatDims(s.shape) : ""})`).join(", ")}`);
  }
  const symbols = new Map<string, { size: number; from: string }>();
  for (const spec of specs) {
    const feed = feeds.get(spec.name)!;
    const got = shortDtype(feed.type);
    if (got !== spec.dtype) throw new InputError(`input '${spec.name}': dtype ${got}, the model expects ${spec.dtype}`);
    if (!spec.shape) continue;
    const want = spec.shape;
    if (feed.dims.length !== want.length) {
      throw new InputError(`input '${spec.name}': shape ${formatDims(feed.dims)} has rank ${feed.dims.length}, the model expects rank ${want.length} ${formatDims(want)}`);
    }
    want.forEach((d, axis) => {
      const size = feed.dims[axis]!;
      if (typeof d === "number" && d !== size) {
        throw new InputError(`input '${spec.name}': shape ${formatDims(feed.dims)}, the model expects ${formatDims(want)} (axis ${axis} must be ${d})`);
      }
      if (typeof d === "string") {
        const bound = symbols.get(d);
        if (bound && bound.size !== size) {
          throw new InputError(`input '${spec.name}': axis ${axis} ('${d}') is ${size} but input '${bound.from}' set '${d}' to ${bound.size}`);
        }
        symbols.set(d, { size, from: spec.name });
      }
    });
  }
  return new Map([...symbols].map(([k, v]) => [k, v.size]));
}
