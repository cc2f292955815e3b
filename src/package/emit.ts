// The two forms `sparoa optimize` writes (docs/package-format.md):
//  (a) the whole model with per-node `sparoa.*` metadata_props (processor, partition, sparsity,
//      intensity, predicted times...), still loadable by onnxruntime and viewable in Netron;
//  (b) a package: one standalone ONNX model per partition plus manifest.json
//      (src/package/manifest.ts, schema sparoa.package.v1).
// Partition models are cut from the exported ModelProto of the whole model, so every node,
// initializer and subgraph is the very message the annotated model holds (no re-encoding of
// weights, no drift between the two forms).
import { create } from "@bufbuild/protobuf";
import { basename, relative, resolve } from "node:path";
import { dtypeName } from "../../ir/dtype.ts";
import type { Model } from "../../ir/model.ts";
import type { Node } from "../../ir/node.ts";
import { topologicalOrder } from "../../ir/topo.ts";
import { staticSize, type ValueType } from "../../ir/types.ts";
import type { Value } from "../../ir/value.ts";
import { byteSize } from "../../ir/dtype.ts";
import { modelToProto, typeToProto } from "../../ir/onnx/export.ts";
import {
  AttributeProtoSchema, encodeModel, GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, rebuild, StringStringEntryProtoSchema, ValueInfoProtoSchema,
  type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from "../../ir/onnx/proto.ts";
import { NodeKey, numberAnnotation } from "../../ir/annotation-keys.ts";
import { isInitializer } from "../../ir/node-roles.ts";
import type { Partitioning } from "../../passes/describe-partitions.ts";
import { externalTensorProto, WeightsFile, WEIGHTS_FILE } from "./weights-file.ts";
import { PROCESSOR_KEY, PACKAGE_SCHEMA, PARTITION_KEY, type PackageManifest, type PartitionSpec, type TensorSpec } from "./manifest.ts";
import { LAYER_ANN_KEY, layerAnnotation, layerAssignmentSettings } from "./layer-assignment.ts";

/** Node metadata_props need IR 10; onnxruntime 1.30 loads IR 8-13 (field notes). */
export const EMIT_IR_VERSION = 10;

export const ANNOTATED_MODEL_FILE = "model.annotated.onnx";
export const MANIFEST_FILE = "manifest.json";

export interface PlanSummary {
  profile: string;
  thresholds?: { sparsity: number; intensity: number };
  predictedMs?: number;
  baselines?: Record<string, number>;
}

export interface EmitOptions {
  /** The type analysis saw for a value (bound input shapes), for transfer sizes and plan.inputShapes. */
  plannedType?: (v: Value) => ValueType | undefined;
}

export interface PackageFiles {
  manifest: PackageManifest;
  /** Relative path -> bytes (or chunks), manifest.json, the annotated model and the weights file included. */
  files: Map<string, Uint8Array | Uint8Array[]>;
}

/** The whole model as ModelProto with every node annotation as a `sparoa.<key>` metadata prop. */
/** Points `source.file` at the original model, relative to the folder the package is written to. */
export function setSourcePath(pkg: PackageFiles, packageDir: string, originalModel: string): void {
  pkg.manifest.source.file = relative(resolve(packageDir), resolve(originalModel));
  pkg.files.set(MANIFEST_FILE, new TextEncoder().encode(JSON.stringify(pkg.manifest, null, 2) + "\n"));
}

export function annotatedModelProto(model: Model): ModelProto {
  const proto = modelToProto(model, { annotationsAsMetadata: true });
  if (model.irVersion < EMIT_IR_VERSION) {
    proto.irVersion = BigInt(EMIT_IR_VERSION);
    // IR < 4 lists every initializer as a graph input; from IR 4 on that would make the
    // weights overridable inputs. They never were, so drop them from the inputs.
    if (model.irVersion < 4) {
      const stored = new Set(proto.graph!.initializer.map((t) => t.name));
      proto.graph!.input = proto.graph!.input.filter((i) => !stored.has(i.name));
    }
  }
  proto.graph = withLayerAnnotations(proto.graph!);
  return proto;
}

/**
 * Every node that has a `sparoa.processor` also gets onnxruntime's `layer_ann` (replacing one the
 * original had), in subgraphs too. Rebuilt messages, never edits: export may share the
 * original file's NodeProtos.
 */
function withLayerAnnotations(graph: GraphProto): GraphProto {
  const node = graph.node.map((n) => {
    const meta = new Map(n.metadataProps.map((e) => [e.key, e.value]));
    const processor = meta.get(PROCESSOR_KEY);
    const attribute = n.attribute.map((a) => (a.g || a.graphs.length > 0
      ? rebuild(AttributeProtoSchema, a, { g: a.g ? withLayerAnnotations(a.g) : undefined, graphs: a.graphs.map(withLayerAnnotations) })
      : a));
    const metadataProps = processor === undefined ? n.metadataProps : [
      ...n.metadataProps.filter((e) => e.key !== LAYER_ANN_KEY),
      create(StringStringEntryProtoSchema, { key: LAYER_ANN_KEY, value: layerAnnotation(processor, meta.get(PARTITION_KEY)) }),
    ];
    return rebuild(NodeProtoSchema, n, { attribute, metadataProps });
  });
  return rebuild(GraphProtoSchema, graph, { node });
}

/** Model inputs that are data, not stored weights (IR < 4 models list weights as inputs too). */
export function dataInputs(model: Model): Value[] {
  return model.graph.inputs.filter((v) => !isInitializer(v));
}

export function tensorSpec(v: Value, type: ValueType | undefined = v.type): TensorSpec {
  const tensor = type && (type.kind === "tensor" || type.kind === "sparse_tensor") ? type : undefined;
  return { name: v.name, dtype: tensor ? dtypeName(tensor.elemType) : "unknown", shape: tensor?.shape ? [...tensor.shape] : null };
}

export function valueBytes(type: ValueType | undefined): number | null {
  if (!type || type.kind !== "tensor") return null;
  const n = staticSize(type.shape);
  return n === undefined ? null : byteSize(type.elemType, n);
}

/**
 * Builds the package for a partitioned model. `types` must hold a type for every boundary
 * value, model input and model output (see resolveValueTypes).
 */
export function buildPackage(model: Model, partitioning: Partitioning, types: ReadonlyMap<Value, ValueType>, plan: PlanSummary, options: EmitOptions = {}): PackageFiles {
  const graph = model.graph;
  const whole = annotatedModelProto(model);
  const g = whole.graph!;
  const nodeProto = new Map<Node, NodeProto>();
  graph.nodes.forEach((n, i) => nodeProto.set(n, g.node[i]!));
  // Large weights go to one shared file: partitions/weights.bin, "weights.bin" from a partition.
  const weights = new WeightsFile();
  const initializerProto = new Map<string, TensorProto>();
  const wholeInitializers = [...graph.initializers.values()];
  g.initializer = g.initializer.map((t, i) => {
    const tensor = wholeInitializers[i]?.initializer;
    const at = tensor && tensor.name === t.name ? weights.add(t.name, tensor) : undefined;
    initializerProto.set(t.name, at ? externalTensorProto(t, WEIGHTS_FILE, at) : t);
    return at ? externalTensorProto(t, `partitions/${WEIGHTS_FILE}`, at) : t;
  });
  const valueInfoByName = new Map<string, ValueInfoProto>(g.valueInfo.map((vi) => [vi.name, vi]));
  const position = new Map<Node, number>();
  topologicalOrder(graph).forEach((n, i) => position.set(n, i));
  const typeOf = (v: Value) => types.get(v) ?? v.type;
  const plannedType = (v: Value) => options.plannedType?.(v) ?? typeOf(v);
  const info = (v: Value): ValueInfoProto => {
    const t = typeOf(v);
    return create(ValueInfoProtoSchema, { name: v.name, type: t ? typeToProto(t) : undefined });
  };

  const files = new Map<string, Uint8Array | Uint8Array[]>();
  const specs: PartitionSpec[] = [];
  const last = partitioning.partitions.length - 1;
  for (const part of partitioning.partitions) {
    const inputs = [...part.inputs];
    const outputs = [...part.outputs];
    const initializers = [...part.initializers];
    if (part.id === last) {
      // Model outputs no node computes (a model input or a weight handed straight through).
      for (const v of partitioning.passthrough) {
        if (isInitializer(v)) initializers.push(v); else inputs.push(v);
        outputs.push(v);
      }
    }
    const nodes = [...part.clonedConstants, ...part.nodes].sort((a, b) => position.get(a)! - position.get(b)!);
    const produced = new Set(nodes.flatMap((n) => n.outputs.map((v) => v.name)));
    const boundaryNames = new Set([...inputs, ...outputs].map((v) => v.name));
    const valueInfo = [...produced].filter((name) => !boundaryNames.has(name)).map((name) => valueInfoByName.get(name)).filter((vi) => vi !== undefined);
    const file = `partitions/p${part.id}_${part.processor}.onnx`;
    const partModel = create(ModelProtoSchema, {
      irVersion: whole.irVersion,
      opsetImport: whole.opsetImport,
      producerName: "sparoa",
      producerVersion: whole.producerVersion,
      domain: whole.domain,
      modelVersion: whole.modelVersion,
      functions: whole.functions,
      metadataProps: [
        create(StringStringEntryProtoSchema, { key: PARTITION_KEY, value: String(part.id) }),
        create(StringStringEntryProtoSchema, { key: PROCESSOR_KEY, value: part.processor }),
        create(StringStringEntryProtoSchema, { key: "sparoa.source", value: basename(model.path ?? "model.onnx") }),
      ],
      graph: create(GraphProtoSchema, {
        name: `${g.name || "graph"}_p${part.id}_${part.processor}`,
        node: nodes.map((n) => nodeProto.get(n)!),
        initializer: initializers.map((v) => initializerProto.get(v.name)).filter((t) => t !== undefined),
        sparseInitializer: g.sparseInitializer.filter((s) => initializers.some((v) => v.name === s.values?.name)),
        input: inputs.map(info),
        output: outputs.map(info),
        valueInfo,
      }),
    });
    files.set(file, encodeModel(partModel));
    const predicted = predictedPartitionMs(part.nodes, part.processor);
    specs.push({
      id: part.id, processor: part.processor, file,
      inputs: inputs.map((v) => v.name), outputs: outputs.map((v) => v.name),
      dependsOn: part.dependsOn, nodes: part.nodes.length,
      ...(predicted !== undefined ? { predictedMs: round(predicted) } : {}),
    });
  }

  const manifest: PackageManifest = {
    schema: PACKAGE_SCHEMA,
    source: {
      file: basename(model.path ?? "model.onnx"),
      inputs: dataInputs(model).map((v) => tensorSpec(v, typeOf(v))),
      outputs: graph.outputs.map((v) => tensorSpec(v, typeOf(v))),
    },
    partitions: specs,
    boundaries: partitioning.boundaries
      .map((b) => ({ b, to: b.to.filter((t) => partitioning.partitions[t]!.processor !== partitioning.partitions[b.from]!.processor) }))
      .filter(({ to }) => to.length > 0)
      .map(({ b, to }) => ({ name: b.value.name, from: b.from, to, bytes: valueBytes(plannedType(b.value)) })),
    plan: {
      profile: plan.profile,
      ...(plan.thresholds ? { thresholds: plan.thresholds } : {}),
      ...(plan.predictedMs !== undefined ? { predictedMs: round(plan.predictedMs) } : {}),
      ...(plan.baselines ? { baselines: Object.fromEntries(Object.entries(plan.baselines).map(([k, v]) => [k, round(v)])) } : {}),
      inputShapes: Object.fromEntries(dataInputs(model).map((v) => [v.name, tensorSpec(v, plannedType(v)).shape])),
    },
    annotatedModel: ANNOTATED_MODEL_FILE,
    layerAssignment: { key: LAYER_ANN_KEY, settings: layerAssignmentSettings([...new Set(specs.map((p) => p.processor))]) },
  };
  files.set(ANNOTATED_MODEL_FILE, encodeModel(whole));
  if (weights.byteLength > 0) files.set(`partitions/${WEIGHTS_FILE}`, weights.chunks);
  files.set(MANIFEST_FILE, new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n"));
  return { manifest, files };
}

/** Sum of the nodes' predicted times on `processor` (NodeKey.timeCpuMs / timeGpuMs), when placement wrote them. */
function predictedPartitionMs(nodes: readonly Node[], processor: string): number | undefined {
  const key = processor === "gpu" ? NodeKey.timeGpuMs : processor === "cpu" ? NodeKey.timeCpuMs : undefined;
  if (!key) return undefined;
  let total = 0;
  for (const n of nodes) {
    const t = numberAnnotation(n, key);
    if (t === undefined) return undefined;
    total += t;
  }
  return total;
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
