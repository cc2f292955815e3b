// The verifier: structural rules every pass must keep. Each problem names the graph, node and value.
import { SparoaError } from "./sparoa-error.ts";
import type { Graph } from "./graph.ts";
import type { Model } from "./model.ts";
import type { Node } from "./node.ts";
import type { Value } from "./value.ts";
import { CycleError, topologicalOrder } from "./topo.ts";

export class VerifyError extends SparoaError {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `${problems[0]} (and ${problems.length - 1} more problems)`);
  }
}

function label(node: Node): string {
  return node.name ? `node '${node.name}' (${node.opType})` : `${node.opType} node`;
}

/** Every problem found, empty when the model is well formed. */
export function verifyModel(model: Model): string[] {
  const problems: string[] = [];
  verifyGraph(model.graph, problems);
  for (const fn of model.functions) verifyGraph(fn.body, problems, `function '${fn.name}'`);
  return problems;
}

export function assertValid(model: Model): void {
  const problems = verifyModel(model);
  if (problems.length > 0) throw new VerifyError(problems);
}

function verifyGraph(root: Graph, problems: string[], where?: string): void {
  for (const graph of root.allGraphs()) {
    const at = `${where ?? "graph"} '${graph.name}'`;
    // A cycle first: the order problems it causes are only its symptoms.
    try {
      topologicalOrder(graph);
    } catch (e) {
      if (e instanceof CycleError) problems.push(`${at}: nodes form a cycle: ${e.cycle.map((n) => n.name || n.opType).join(" -> ")}`);
      else throw e;
    }
    checkSingleAssignment(graph, at, problems);
    checkOrderAndScope(graph, at, problems);
    checkUseLists(graph, at, problems);
  }
}

function checkSingleAssignment(graph: Graph, at: string, problems: string[]): void {
  const seen = new Set<string>();
  const inputs = new Set(graph.inputs);
  const initializerInputs = new Set([...graph.initializers.values()].filter((v) => inputs.has(v)));
  for (const v of graph.definedValues()) {
    if (v.name === "") continue;
    if (seen.has(v.name) && !initializerInputs.has(v)) problems.push(`${at}: value '${v.name}' is assigned more than once`);
    seen.add(v.name);
  }
}

/** True when `value` is defined in `graph` or in a graph enclosing it. */
function inScope(value: Value, graph: Graph): boolean {
  for (let g: Graph | null = graph; g; g = g.parent?.graph ?? null) if (value.graph === g) return true;
  return false;
}

function checkOrderAndScope(graph: Graph, at: string, problems: string[]): void {
  const produced = new Set<Value>();
  for (const node of graph.nodes) {
    if (node.graph !== graph) problems.push(`${at}: ${label(node)} does not point back to its graph`);
    node.inputs.forEach((v, i) => {
      if (!v) return;
      if (!inScope(v, graph)) problems.push(`${at}: ${label(node)} input ${i} '${v.name}' is not defined in scope`);
      else if (v.graph === graph && v.producer && !produced.has(v)) {
        problems.push(`${at}: ${label(node)} reads '${v.name}' before ${label(v.producer)} produces it`);
      }
    });
    for (const out of node.outputs) {
      if (out.producer !== node) problems.push(`${at}: output '${out.name}' of ${label(node)} names another producer`);
      produced.add(out);
    }
  }
  for (const out of graph.outputs) {
    if (!inScope(out, graph)) problems.push(`${at}: graph output '${out.name}' is not defined in scope`);
  }
}

function checkUseLists(graph: Graph, at: string, problems: string[]): void {
  // Each value's use list indexed once: a weight read by 50,000 nodes must not be scanned per reader.
  const listed = new Map<Value, Map<Node, Set<number>>>();
  const usesOf = (v: Value) => {
    let byNode = listed.get(v);
    if (!byNode) {
      byNode = new Map();
      for (const u of v.uses) {
        let set = byNode.get(u.node);
        if (!set) byNode.set(u.node, (set = new Set()));
        set.add(u.index);
      }
      listed.set(v, byNode);
    }
    return byNode;
  };
  for (const node of graph.nodes) {
    node.inputs.forEach((v, i) => {
      if (v && !usesOf(v).get(node)?.has(i)) {
        problems.push(`${at}: value '${v.name}' does not list its use by ${label(node)} (input ${i})`);
      }
    });
  }
  for (const v of graph.definedValues()) {
    for (const use of v.uses) {
      if (use.node.inputs[use.index] !== v) problems.push(`${at}: value '${v.name}' lists a stale use by ${label(use.node)}`);
      else if (!use.node.graph) problems.push(`${at}: value '${v.name}' is read by ${label(use.node)}, which is in no graph`);
    }
  }
}
