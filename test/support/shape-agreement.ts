// Agreement between our inferred shapes and an oracle's (onnxruntime's inference, or the shapes
// of real tensors). The definition the acceptance test uses:
// - a value is compared when both sides know its rank; ranks must be equal;
// - element types must be equal when both know them;
// - a dim is compared when the oracle's is a number: ours must be the same number (a symbolic or
//   unknown dim of ours against a number is a disagreement for symbols, "unknown" for null);
// - "unknown" is not agreement: a value the oracle knows (rank, or a numeric dim) that we leave
//   unknown is listed in `unknown`, and only values known and equal count as `agreed`;
// - an oracle dim that is symbolic or unknown is not compared (ours may know more);
// - onnxruntime's outputMetadata reports [] both for scalars and for values whose rank it does
//   not know, so an oracle [] only counts against a rank-0 answer of ours (agreement) and is
//   otherwise treated as the oracle not knowing.
import type { Model } from "../../ir/model.ts";
import { formatShape, type Dim } from "../../ir/types.ts";
import { dtypeName } from "../../ir/dtype.ts";

export interface Known { dtype: number | undefined; shape: Dim[] | undefined }

export interface Agreement {
  /** Values whose rank both sides know. */
  compared: number;
  /** Compared values with equal ranks and every numeric oracle dim equal in ours (and equal dtypes where both know them). */
  agreed: number;
  disagreements: string[];
  /** Values the oracle knows (its rank, or a numeric dim) that ours leaves unknown: not agreement. */
  unknown: string[];
}

export function compareShapes(ours: ReadonlyMap<string, Known>, oracle: ReadonlyMap<string, Known>, rankZeroMeansUnknown: boolean): Agreement {
  const result: Agreement = { compared: 0, agreed: 0, disagreements: [], unknown: [] };
  for (const [name, theirs] of oracle) {
    const mine = ours.get(name);
    if (!mine) continue;
    if (mine.dtype !== undefined && theirs.dtype !== undefined && mine.dtype !== theirs.dtype) {
      result.disagreements.push(`${name}: dtype ${dtypeName(mine.dtype)} vs ${dtypeName(theirs.dtype)}`);
      continue;
    }
    if (!theirs.shape) continue;
    const oracleRankUnknown = rankZeroMeansUnknown && theirs.shape.length === 0;
    if (!mine.shape) {
      if (!oracleRankUnknown) result.unknown.push(`${name}: ours unknown vs ${formatShape(theirs.shape)}`);
      continue;
    }
    if (oracleRankUnknown && mine.shape.length !== 0) continue;
    result.compared++;
    const why = dimsDisagree(mine.shape, theirs.shape);
    if (why) result.disagreements.push(`${name}: ours ${formatShape(mine.shape)} vs ${formatShape(theirs.shape)} (${why})`);
    else if (theirs.shape.some((d, i) => typeof d === "number" && mine.shape![i] === null)) result.unknown.push(`${name}: ours ${formatShape(mine.shape)} vs ${formatShape(theirs.shape)}`);
    else result.agreed++;
  }
  return result;
}

function dimsDisagree(mine: readonly Dim[], theirs: readonly Dim[]): string | undefined {
  if (mine.length !== theirs.length) return "rank";
  for (let i = 0; i < mine.length; i++) {
    const t = theirs[i];
    if (typeof t !== "number") continue;
    if (typeof mine[i] === "number" && mine[i] !== t) return `dim ${i}`;
    if (typeof mine[i] === "string") return `dim ${i} symbolic`;
  }
  return undefined;
}

/** Our types of every named node output of the main graph. */
export function ourShapes(model: Model): Map<string, Known> {
  const out = new Map<string, Known>();
  for (const n of model.graph.nodes) {
    for (const v of n.outputs) {
      if (v.name === "") continue;
      out.set(v.name, v.type?.kind === "tensor" ? { dtype: v.type.elemType, shape: v.type.shape } : { dtype: undefined, shape: undefined });
    }
  }
  return out;
}

/** Forgets every node output's declared type (all graphs) so inference has to find it. */
export function stripDeclaredTypes(model: Model): void {
  for (const n of model.graph.allNodes()) for (const v of n.outputs) v.type = undefined;
}

/** Fraction of named main-graph node outputs with every dim a number. */
export function coverage(model: Model): number {
  let all = 0;
  let known = 0;
  for (const n of model.graph.nodes) {
    for (const v of n.outputs) {
      if (v.name === "") continue;
      all++;
      if (v.type?.kind === "tensor" && v.type.shape?.every((d) => typeof d === "number")) known++;
    }
  }
  return all === 0 ? 1 : known / all;
}
