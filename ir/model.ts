// A model: the main graph, the opsets it imports, local functions and model metadata.
import type { Graph } from "./graph.ts";
import type { Attribute } from "./attribute.ts";

/** A model-local function (FunctionProto); its body is a graph whose inputs/outputs are the formals. */
export interface ModelFunction {
  name: string;
  domain: string;
  overload: string;
  body: Graph;
  /** Attribute names without defaults, and attributes with defaults. */
  attributeNames: string[];
  attributeDefaults: Attribute[];
  opsetImports: Map<string, number>;
  docString: string;
  metadata: Map<string, string>;
  source: unknown;
}

export class Model {
  irVersion: number;
  readonly opsetImports = new Map<string, number>();
  producerName = "";
  producerVersion = "";
  domain = "";
  modelVersion = 0;
  docString = "";
  graph: Graph;
  readonly functions: ModelFunction[] = [];
  readonly metadata = new Map<string, string>();
  /** The file the model was read from, if any; external data resolves against its folder. */
  path: string | undefined;
  /** The ModelProto it came from (training_info, device configurations are carried from here). */
  source: unknown;

  constructor(graph: Graph, options: { irVersion?: number; opsets?: Record<string, number> } = {}) {
    this.graph = graph;
    this.irVersion = options.irVersion ?? 10;
    for (const [domain, version] of Object.entries(options.opsets ?? { "": 17 })) this.opsetImports.set(domain, version);
  }

  /** The opset version for a domain ("" and "ai.onnx" are the same domain). */
  opset(domain = ""): number | undefined {
    const d = domain === "ai.onnx" ? "" : domain;
    return this.opsetImports.get(d) ?? (d === "" ? this.opsetImports.get("ai.onnx") : undefined);
  }
}
