// Reading manifest.json: every field is checked, and an error names the field's path
// (e.g. `partitions[2].inputs[0]`) and what is wrong with it.
import { SparoaError } from "../../ir/sparoa-error.ts";
import { LEGACY_PACKAGE_SCHEMAS, PACKAGE_SCHEMA, type PackageManifest, type PartitionSpec, type TensorSpec } from "./manifest.ts";
import { dtypeFromName } from "../../ir/dtype.ts";

export class ManifestError extends SparoaError {
  override name = "ManifestError";
}

type Json = unknown;

function describe(v: Json): string {
  if (v === undefined) return "nothing";
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

class Checker {
  constructor(private readonly file: string) {}

  fail(path: string, what: string, got: Json): never {
    throw new ManifestError(`${this.file}: ${path}: expected ${what}, got ${describe(got)}`);
  }

  object(v: Json, path: string): Record<string, Json> {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(path, "an object", v);
    return v as Record<string, Json>;
  }

  array(v: Json, path: string): Json[] {
    if (!Array.isArray(v)) this.fail(path, "an array", v);
    return v;
  }

  string(v: Json, path: string): string {
    if (typeof v !== "string" || v === "") this.fail(path, "a non-empty string", v);
    return v;
  }

  int(v: Json, path: string, min = 0): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) this.fail(path, `an integer >= ${min}`, v);
    return v;
  }

  optionalNumber(v: Json, path: string): number | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v)) this.fail(path, "a number", v);
    return v;
  }

  strings(v: Json, path: string): string[] {
    return this.array(v, path).map((s, i) => this.string(s, `${path}[${i}]`));
  }

  tensor(v: Json, path: string): TensorSpec {
    const o = this.object(v, path);
    const name = this.string(o.name, `${path}.name`);
    const dtype = this.string(o.dtype, `${path}.dtype`);
    if (dtypeFromName(dtype) === undefined) this.fail(`${path}.dtype`, "an ONNX short dtype name (f32, i64, ...)", dtype);
    let shape: TensorSpec["shape"] = null;
    if (o.shape !== null && o.shape !== undefined) {
      shape = this.array(o.shape, `${path}.shape`).map((d, i) => {
        if (d === null || typeof d === "string" || (typeof d === "number" && Number.isInteger(d) && d >= 0)) return d as number | string | null;
        return this.fail(`${path}.shape[${i}]`, "a size >= 0, a symbol or null", d);
      });
    }
    return { name, dtype, shape };
  }
}

/** Parses and checks a manifest; `file` names it in errors. */
export function validateManifest(raw: Json, file = "manifest.json"): PackageManifest {
  const c = new Checker(file);
  const root = c.object(raw, "(root)");
  // A v1 manifest called a partition's processor `device`; it is read as the processor (the file is left as it is).
  const legacy = (LEGACY_PACKAGE_SCHEMAS as readonly unknown[]).includes(root.schema);
  if (root.schema !== PACKAGE_SCHEMA && !legacy) c.fail("schema", `"${PACKAGE_SCHEMA}" (or ${LEGACY_PACKAGE_SCHEMAS.map((s) => `"${s}"`).join(", ")})`, root.schema);
  const processorField = legacy ? "device" : "processor";
  const source = c.object(root.source, "source");
  const sourceSpec = {
    file: c.string(source.file, "source.file"),
    inputs: c.array(source.inputs, "source.inputs").map((t, i) => c.tensor(t, `source.inputs[${i}]`)),
    outputs: c.array(source.outputs, "source.outputs").map((t, i) => c.tensor(t, `source.outputs[${i}]`)),
  };
  const partitions: PartitionSpec[] = c.array(root.partitions, "partitions").map((p, i) => {
    const path = `partitions[${i}]`;
    const o = c.object(p, path);
    return {
      id: c.int(o.id, `${path}.id`),
      processor: c.string(o[processorField], `${path}.${processorField}`),
      file: c.string(o.file, `${path}.file`),
      inputs: c.strings(o.inputs, `${path}.inputs`),
      outputs: c.strings(o.outputs, `${path}.outputs`),
      dependsOn: c.array(o.dependsOn, `${path}.dependsOn`).map((d, j) => c.int(d, `${path}.dependsOn[${j}]`)),
      nodes: c.int(o.nodes, `${path}.nodes`),
      predictedMs: c.optionalNumber(o.predictedMs, `${path}.predictedMs`),
    };
  });
  if (partitions.length === 0) c.fail("partitions", "at least one partition", []);
  const boundaries = root.boundaries === undefined ? [] : c.array(root.boundaries, "boundaries").map((b, i) => {
    const o = c.object(b, `boundaries[${i}]`);
    return {
      name: c.string(o.name, `boundaries[${i}].name`),
      from: c.int(o.from, `boundaries[${i}].from`),
      to: c.array(o.to, `boundaries[${i}].to`).map((t, j) => c.int(t, `boundaries[${i}].to[${j}]`)),
      bytes: o.bytes === null || o.bytes === undefined ? null : c.int(o.bytes, `boundaries[${i}].bytes`),
    };
  });
  const plan = c.object(root.plan, "plan");
  const manifest: PackageManifest = {
    schema: PACKAGE_SCHEMA,
    source: sourceSpec,
    partitions,
    boundaries,
    plan: { ...(plan as PackageManifest["plan"]), profile: c.string(plan.profile, "plan.profile") },
    annotatedModel: root.annotatedModel === undefined ? undefined : c.string(root.annotatedModel, "annotatedModel"),
    layerAssignment: root.layerAssignment === undefined ? undefined : (() => {
      const o = c.object(root.layerAssignment, "layerAssignment");
      return { key: c.string(o.key, "layerAssignment.key"), settings: c.string(o.settings, "layerAssignment.settings") };
    })(),
  };
  checkDataflow(manifest, c);
  return manifest;
}

/** Every partition input must come from a model input or an earlier partition it depends on. */
function checkDataflow(m: PackageManifest, c: Checker): void {
  const producer = new Map<string, number>();
  for (const t of m.source.inputs) producer.set(t.name, -1);
  const ids = new Set<number>();
  m.partitions.forEach((p, i) => {
    const path = `partitions[${i}]`;
    if (ids.has(p.id)) c.fail(`${path}.id`, "an id no other partition has", p.id);
    p.dependsOn.forEach((d, j) => { if (!ids.has(d)) c.fail(`${path}.dependsOn[${j}]`, "the id of an earlier partition (partitions are listed in topological order)", d); });
    p.inputs.forEach((name, j) => {
      const from = producer.get(name);
      if (from === undefined) c.fail(`${path}.inputs[${j}]`, "a model input or an output of an earlier partition", name);
      if (from !== -1 && !p.dependsOn.includes(from)) c.fail(`${path}.dependsOn`, `to include partition ${from}, which produces its input '${name}'`, p.dependsOn);
    });
    ids.add(p.id);
    p.outputs.forEach((name, j) => {
      if (producer.has(name)) c.fail(`${path}.outputs[${j}]`, "a value no model input or other partition defines", name);
      producer.set(name, p.id);
    });
  });
  m.source.outputs.forEach((t, i) => {
    if (!producer.has(t.name)) c.fail(`source.outputs[${i}].name`, "a value some partition produces", t.name);
  });
}
