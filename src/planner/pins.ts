// User pins: `NAME=cpu` (a node name), `op:Softmax=gpu` (every node of an op type),
// `re:^layer4.*=gpu` (node names matching a regular expression). A pin that matches nothing is
// an error listing close names; two pins sending one node to different processors is an error
// naming both.
import { SparoaError } from "../../ir/sparoa-error.ts";
import type { Graph } from "../../ir/graph.ts";
import { didYouMean } from "../../ir/names.ts";
import type { Node } from "../../ir/node.ts";

export class PinError extends SparoaError {
  override name = "PinError";
}

export interface Pin {
  /** The pin as the user wrote it. */
  text: string;
  kind: "name" | "op" | "re";
  pattern: string;
  processor: string;
}

export function parsePin(text: string, processors: readonly string[]): Pin {
  const at = text.lastIndexOf("=");
  if (at <= 0 || at === text.length - 1) throw new PinError(`--pin '${text}': expected NAME=PROCESSOR, op:OPTYPE=PROCESSOR or re:REGEX=PROCESSOR`);
  const target = text.slice(0, at);
  const processor = text.slice(at + 1).trim();
  if (!processors.includes(processor)) throw new PinError(`--pin '${text}': unknown processor '${processor}' (this profile has ${processors.join(", ")})`);
  const kind = target.startsWith("op:") ? "op" : target.startsWith("re:") ? "re" : "name";
  const pattern = kind === "name" ? target : target.slice(3);
  if (pattern === "") throw new PinError(`--pin '${text}': nothing to match before '='`);
  if (kind === "re") {
    try { new RegExp(pattern); } catch (e) { throw new PinError(`--pin '${text}': invalid regular expression (${(e as Error).message})`); }
  }
  return { text, kind, pattern, processor };
}

/** The pin deciding each pinned main-graph node. */
export function resolvePins(graph: Graph, pins: readonly Pin[]): Map<Node, Pin> {
  const out = new Map<Node, Pin>();
  const nodes = graph.nodes;
  for (const pin of pins) {
    const regex = pin.kind === "re" ? new RegExp(pin.pattern) : undefined;
    const matches = nodes.filter((n) => pin.kind === "name" ? n.name === pin.pattern : pin.kind === "op" ? n.opType === pin.pattern : regex!.test(n.name));
    if (matches.length === 0) {
      const what = pin.kind === "op" ? `no node has op type '${pin.pattern}'${didYouMean(pin.pattern, nodes.map((n) => n.opType))}`
        : pin.kind === "re" ? `the regular expression /${pin.pattern}/ matches no node name${didYouMean(pin.pattern, nodes.map((n) => n.name))}`
          : `no node is named '${pin.pattern}'${didYouMean(pin.pattern, nodes.map((n) => n.name))}`;
      throw new PinError(`--pin '${pin.text}': ${what}`);
    }
    for (const n of matches) {
      const earlier = out.get(n);
      if (earlier && earlier.processor !== pin.processor) {
        throw new PinError(`--pin '${earlier.text}' and --pin '${pin.text}' contradict: node '${n.name || n.opType}' (${n.opType}) cannot be on both ${earlier.processor} and ${pin.processor}`);
      }
      out.set(n, pin);
    }
  }
  return out;
}
