// Reading config.pbtxt: protobufjs's text-format parser (protobufjs/ext/textformat) against the
// schema of the fields sparoa uses (triton-model-config.proto, Triton's names and numbers). It
// rejects unknown fields, misspelt enum values, wrong value types and repeated scalars, which
// Triton's own parser would reject too; the error names the file and the field.
import { SparoaError } from "../../ir/sparoa-error.ts";
import { readFileSync } from "node:fs";
import protobuf from "protobufjs";
import textformat from "protobufjs/ext/textformat.js";
import type { TritonModelConfig, TritonTensor, TritonInstanceGroup, TritonStep, TritonDataType } from "./triton-config.ts";

export const SCHEMA_FILE = new URL("./triton-model-config.proto", import.meta.url);

let configType: protobuf.Type | undefined;

function modelConfigType(): protobuf.Type {
  configType ??= protobuf.parse(readFileSync(SCHEMA_FILE, "utf8"), { keepCase: true }).root.lookupType("inference.ModelConfig");
  return configType;
}

/** A config.pbtxt that does not parse against the schema, or whose wiring is wrong; the message names the file and field. */
export class TritonConfigError extends SparoaError {
  override name = "TritonConfigError";
}

interface RawTensor { name?: string; data_type?: string; dims?: (number | string)[]; reshape?: { shape?: (number | string)[] } }
interface RawConfig {
  name?: string; platform?: string; backend?: string; max_batch_size?: number; input?: RawTensor[]; output?: RawTensor[];
  instance_group?: { kind?: string; count?: number; gpus?: number[] }[]; parameters?: Record<string, { string_value?: string }>;
  ensemble_scheduling?: { step?: { model_name?: string; model_version?: number | string; input_map?: Record<string, string>; output_map?: Record<string, string> }[] };
}

/** Parses config.pbtxt text; `file` names it in errors. Fields absent from the text take proto3 defaults. */
export function parseConfigText(text: string, file: string): TritonModelConfig {
  const type = modelConfigType();
  let raw: RawConfig;
  try {
    const message = textformat.fromText(type, text);
    raw = type.toObject(message, { longs: Number, enums: String, defaults: false, arrays: true, objects: true }) as RawConfig;
  } catch (e) {
    const message = (e as Error).message.split("\n")[0]!.replace(/^\.inference\./, "");
    throw new TritonConfigError(`${file}: ${message}`);
  }
  const tensor = (t: RawTensor): TritonTensor => ({
    name: t.name ?? "", data_type: (t.data_type ?? "TYPE_INVALID") as TritonDataType, dims: (t.dims ?? []).map(Number),
    ...(t.reshape ? { reshape: (t.reshape.shape ?? []).map(Number) } : {}),
  });
  const config: TritonModelConfig = {
    name: raw.name ?? "",
    platform: (raw.platform ?? "") as TritonModelConfig["platform"],
    max_batch_size: raw.max_batch_size ?? 0,
    input: (raw.input ?? []).map(tensor),
    output: (raw.output ?? []).map(tensor),
  };
  if (raw.instance_group?.length) config.instance_group = raw.instance_group.map((g) => ({ kind: (g.kind ?? "KIND_AUTO") as TritonInstanceGroup["kind"], count: g.count ?? 1, ...(g.gpus?.length ? { gpus: g.gpus } : {}) }));
  if (raw.parameters && Object.keys(raw.parameters).length > 0) config.parameters = Object.entries(raw.parameters).map(([k, v]) => [k, v.string_value ?? ""]);
  if (raw.ensemble_scheduling) {
    config.ensemble_scheduling = {
      step: (raw.ensemble_scheduling.step ?? []).map((s): TritonStep => ({
        model_name: s.model_name ?? "", model_version: Number(s.model_version ?? 0),
        input_map: Object.entries(s.input_map ?? {}), output_map: Object.entries(s.output_map ?? {}),
      })),
    };
  }
  return config;
}
