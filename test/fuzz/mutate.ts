// Seeded hostile inputs for the fuzz runner: byte-level damage of a model file and structural
// mutations on its ModelProto (the protobuf schema the IR reads), plus hostile external data and
// absurd flags. Everything is drawn from one seeded generator, so a case is reproduced from its
// seed alone (`npm run fuzz -- --seed S --cases 1 --first K`).
import { create } from "@bufbuild/protobuf";
import {
  AttributeProtoSchema, NodeProtoSchema, OperatorSetIdProtoSchema, StringStringEntryProtoSchema, TensorProtoSchema,
  decodeModel, encodeModel, type ModelProto, type NodeProto, type TensorProto,
} from "../../ir/onnx/proto.ts";
import { seededRandom } from "../../ir/random.ts";

export type Rand = () => number;
export const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const int = (rand: Rand, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

/** Sizes that broke things in the outside run, and their neighbours. */
const HOSTILE_DIMS = [0n, 1n, -1n, -7n, 2n ** 31n, 2n ** 32n, 2n ** 40n, 2n ** 62n, 2n ** 63n - 1n, 1_000_000_000n];
const HOSTILE_INTS = [0n, -1n, -(2n ** 63n), 2n ** 63n - 1n, 2n ** 31n, 1000000n];
const OP_TYPES = ["", "NoSuchOp", "Relu", "Add", "Conv", "MatMul", "If", "Loop", "Scan", "Reshape", "Concat", "Gather", "Slice", "Pad", "Resize", "Softmax", "MaxPool", "Constant"];

export interface MutatedModel {
  /** The file bytes to write as the case's model. */
  bytes: Uint8Array;
  /** What was done, for the report. */
  description: string;
  /** Extra files to write beside it (hostile external data). */
  sideFiles?: { name: string; bytes?: Uint8Array; folder?: boolean }[];
}

type Mutation = (p: ModelProto, rand: Rand) => string;

function nodes(p: ModelProto): NodeProto[] {
  return p.graph?.node ?? [];
}
function anyNode(p: ModelProto, rand: Rand): NodeProto | undefined {
  const n = nodes(p);
  return n.length > 0 ? pick(rand, n) : undefined;
}
function anyInitializer(p: ModelProto, rand: Rand): TensorProto | undefined {
  const t = p.graph?.initializer ?? [];
  return t.length > 0 ? pick(rand, t) : undefined;
}

const MUTATIONS: Record<string, Mutation> = {
  "initializer dims": (p, rand) => {
    const t = anyInitializer(p, rand);
    if (!t) return "no initializer";
    const i = int(rand, 0, Math.max(0, t.dims.length - 1));
    const d = pick(rand, HOSTILE_DIMS);
    if (t.dims.length === 0 || rand() < 0.3) t.dims.push(d); else t.dims[i] = d;
    return `initializer '${t.name}' dims -> [${t.dims.join(",")}]`;
  },
  "initializer data type": (p, rand) => {
    const t = anyInitializer(p, rand);
    if (!t) return "no initializer";
    t.dataType = pick(rand, [0, 7, 8, 9, 11, 16, 21, 27, 99, -1]);
    return `initializer '${t.name}' data_type -> ${t.dataType}`;
  },
  "initializer data cut": (p, rand) => {
    const t = anyInitializer(p, rand);
    if (!t) return "no initializer";
    if (t.rawData.length > 0) t.rawData = t.rawData.subarray(0, int(rand, 0, t.rawData.length - 1));
    else t.floatData = t.floatData.slice(0, Math.max(0, t.floatData.length - 1));
    return `initializer '${t.name}' data shortened`;
  },
  "input dims": (p, rand) => {
    const input = p.graph?.input[0];
    const tensor = input?.type?.value.case === "tensorType" ? input.type.value.value : undefined;
    const dim = tensor?.shape?.dim;
    if (!dim || dim.length === 0) return "no shaped input";
    const d = pick(rand, dim);
    d.value = { case: "dimValue", value: pick(rand, HOSTILE_DIMS) };
    return `input '${input!.name}' dim -> ${d.value.value}`;
  },
  "op type": (p, rand) => {
    const n = anyNode(p, rand);
    if (!n) return "no node";
    const before = n.opType;
    n.opType = pick(rand, OP_TYPES);
    return `node '${n.name}' op ${before} -> '${n.opType}'`;
  },
  "cycle": (p, rand) => {
    const n = nodes(p);
    if (n.length < 2) return "too few nodes";
    const a = int(rand, 0, n.length - 2);
    const b = int(rand, a + 1, n.length - 1);
    if (n[a]!.input.length === 0 || n[b]!.output.length === 0) return "no edge";
    n[a]!.input[0] = n[b]!.output[0]!;
    return `node ${a} reads node ${b}'s output (cycle)`;
  },
  "self-loop": (p, rand) => {
    const n = anyNode(p, rand);
    if (!n || n.input.length === 0 || n.output.length === 0) return "no node";
    n.input[0] = n.output[0]!;
    return `node '${n.name}' reads its own output`;
  },
  "two producers": (p, rand) => {
    const n = nodes(p);
    if (n.length < 2) return "too few nodes";
    const a = pick(rand, n);
    const b = pick(rand, n);
    if (a === b || a.output.length === 0 || b.output.length === 0) return "same node";
    b.output[0] = a.output[0]!;
    return `'${b.name}' also produces '${a.output[0]}'`;
  },
  "dangling input": (p, rand) => {
    const n = anyNode(p, rand);
    if (!n || n.input.length === 0) return "no node";
    n.input[int(rand, 0, n.input.length - 1)] = "ghost_value";
    return `node '${n.name}' reads an undefined value`;
  },
  "remove node": (p, rand) => {
    const n = nodes(p);
    if (n.length === 0) return "no node";
    const [gone] = n.splice(int(rand, 0, n.length - 1), 1);
    return `removed node '${gone!.name}'`;
  },
  "duplicate node": (p, rand) => {
    const n = anyNode(p, rand);
    if (!n) return "no node";
    nodes(p).push(create(NodeProtoSchema, { ...n, output: rand() < 0.5 ? n.output : n.output.map((o) => `${o}_dup`) }));
    return `duplicated node '${n.name}'`;
  },
  "attribute type": (p, rand) => {
    const n = anyNode(p, rand);
    if (!n) return "no node";
    const name = n.attribute.length > 0 && rand() < 0.7 ? pick(rand, n.attribute).name : pick(rand, ["axis", "strides", "kernel_shape", "pads", "group", "perm", "to", "then_branch", "body"]);
    n.attribute = n.attribute.filter((a) => a.name !== name);
    const kind = int(rand, 0, 3);
    n.attribute.push(create(AttributeProtoSchema, kind === 0 ? { name, type: 1, f: 1.5 } : kind === 1 ? { name, type: 3, s: new TextEncoder().encode("x") } : kind === 2 ? { name, type: 0 } : { name, type: 2, i: pick(rand, HOSTILE_INTS) }));
    return `node '${n.name}' attribute '${name}' retyped (${kind})`;
  },
  "attribute values": (p, rand) => {
    const n = nodes(p).find((x) => x.attribute.some((a) => a.ints.length > 0)) ?? anyNode(p, rand);
    if (!n) return "no node";
    const a = n.attribute.find((x) => x.ints.length > 0);
    if (a) { a.ints = a.ints.map(() => pick(rand, HOSTILE_INTS)); return `node '${n.name}' ${a.name} -> [${a.ints.join(",")}]`; }
    n.attribute.push(create(AttributeProtoSchema, { name: "strides", type: 7, ints: [0n, 0n] }));
    return `node '${n.name}' strides [0,0]`;
  },
  "opset": (p, rand) => {
    const v = pick(rand, [0n, -1n, 99n, 27n, 1n, 7n]);
    if (rand() < 0.25) { p.opsetImport = []; return "opset imports removed"; }
    if (p.opsetImport.length === 0) p.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: "", version: v }));
    else p.opsetImport[0]!.version = v;
    return `opset -> ${v}`;
  },
  "ir version": (p, rand) => {
    p.irVersion = pick(rand, [0n, 1n, 2n, 3n, 14n, 99n, -1n]);
    return `ir_version -> ${p.irVersion}`;
  },
  "control flow without body": (p, rand) => {
    const n = anyNode(p, rand);
    if (!n) return "no node";
    n.opType = pick(rand, ["If", "Loop", "Scan"]);
    n.attribute = [];
    return `node '${n.name}' -> ${n.opType} without branches/body`;
  },
  "duplicate node names": (p) => {
    const n = nodes(p);
    if (n.length < 2) return "too few nodes";
    n[1]!.name = n[0]!.name;
    return `node names '${n[0]!.name}' twice`;
  },
  "type mismatch": (p, rand) => {
    const t = anyInitializer(p, rand);
    if (!t) return "no initializer";
    const bytes = t.rawData.length > 0 ? t.rawData.length : t.floatData.length * 4;
    const elements = t.dims.reduce((a, d) => a * Number(d), 1);
    t.dataType = 7;
    t.floatData = [];
    t.rawData = new Uint8Array(Math.min(elements * 8, 1 << 24));
    return `initializer '${t.name}' -> int64 (${bytes} -> ${t.rawData.length} bytes)`;
  },
  "metadata flood": (p, rand) => {
    const count = int(rand, 1000, 20000);
    for (let i = 0; i < count; i++) p.metadataProps.push(create(StringStringEntryProtoSchema, { key: `k${i}`, value: "v" }));
    return `${count} metadata_props`;
  },
};

/** Hostile external-data locations: the tensor is moved out of the file and pointed at one. */
const EXTERNAL: [string, (t: TensorProto, rand: Rand) => MutatedModel["sideFiles"]][] = [
  ["absolute", (t) => { setExternal(t, "/etc/passwd"); return []; }],
  ["outside", (t) => { setExternal(t, "../outside.bin"); return []; }],
  ["missing", (t) => { setExternal(t, "missing.bin"); return []; }],
  ["folder", (t) => { setExternal(t, "weights"); return [{ name: "weights", folder: true }]; }],
  ["short", (t) => { setExternal(t, "short.bin"); return [{ name: "short.bin", bytes: new Uint8Array(3) }]; }],
  ["huge offset", (t, rand) => { setExternal(t, "data.bin", pick(rand, ["9007199254740993", "-5", "1e30", "abc"])); return [{ name: "data.bin", bytes: new Uint8Array(64) }]; }],
];

function setExternal(t: TensorProto, location: string, offset = "0"): void {
  t.rawData = new Uint8Array(0);
  t.floatData = [];
  t.dataLocation = 1;
  t.externalData = [
    create(StringStringEntryProtoSchema, { key: "location", value: location }),
    create(StringStringEntryProtoSchema, { key: "offset", value: offset }),
  ];
}

function byteDamage(bytes: Uint8Array, rand: Rand): MutatedModel {
  const out = new Uint8Array(bytes);
  const kind = int(rand, 0, 3);
  if (kind === 0) {
    const flips = int(rand, 1, 16);
    for (let i = 0; i < flips; i++) out[int(rand, 0, out.length - 1)] ^= 1 << int(rand, 0, 7);
    return { bytes: out, description: `${flips} bit flips` };
  }
  if (kind === 1) { const n = int(rand, 0, out.length - 1); return { bytes: out.subarray(0, n), description: `truncated to ${n} bytes` }; }
  if (kind === 2) {
    const at = int(rand, 0, out.length - 1);
    const junk = Uint8Array.from({ length: int(rand, 1, 64) }, () => int(rand, 0, 255));
    return { bytes: new Uint8Array([...out.subarray(0, at), ...junk, ...out.subarray(at)]), description: `${junk.length} random bytes inserted at ${at}` };
  }
  const at = int(rand, 0, out.length - 1);
  const len = int(rand, 1, Math.min(256, out.length - at));
  out.fill(pick(rand, [0, 0xff, 0x80]), at, at + len);
  return { bytes: out, description: `${len} bytes overwritten at ${at}` };
}

/** One hostile model from `seed` bytes, deterministic in `seed`. */
export function mutateModel(seedBytes: Uint8Array, seed: number): MutatedModel {
  const rand = seededRandom(seed);
  const r = rand();
  // Some cases keep the model and only bend the flags, so the deep paths (placement, packages) run too.
  if (r < 0.12) return { bytes: seedBytes, description: "model unchanged" };
  if (r < 0.32) return byteDamage(seedBytes, rand);
  const proto = decodeModel(seedBytes);
  if (r < 0.42 && proto.graph && proto.graph.initializer.length > 0) {
    const [name, apply] = pick(rand, EXTERNAL);
    const t = pick(rand, proto.graph.initializer);
    const sideFiles = apply(t, rand);
    return { bytes: encodeModel(proto), description: `external data ${name} for '${t.name}'`, sideFiles };
  }
  const names = Object.keys(MUTATIONS);
  const steps = int(rand, 1, 2);
  const done: string[] = [];
  for (let i = 0; i < steps; i++) {
    const name = pick(rand, names.filter((n) => n !== "metadata flood" || rand() < 0.2));
    done.push(`${name}: ${MUTATIONS[name]!(proto, rand)}`);
  }
  return { bytes: encodeModel(proto), description: done.join("; ") };
}

/** Absurd or ordinary extra flags for a command (most cases get ordinary ones). */
export function hostileFlags(command: string, inputName: string | undefined, rand: Rand): string[] {
  if (rand() < 0.75) return [];
  const name = inputName ?? "x";
  const choices: string[][] = [
    ["--input-shape", `${name}=1099511627776x256`], ["--input-shape", `${name}=0x0`], ["--input-shape", `${name}=1x1x1x1x1x1x1x1`],
    ["--input-shape", "nosuchinput=1x2"],
  ];
  if (command === "analyze" || command === "optimize") choices.push(["--samples", pick(rand, ["1000000000", "0", "-1", "1.5"])], ["--seed", "-3"]);
  if (command === "run") choices.push(["--threads", pick(rand, ["100000", "0", "cpu=100000"])], ["--dim", pick(rand, ["batch=1000000000", "batch=0", "batch=-1"])], ["--seed", "-1"]);
  if (command === "optimize") choices.push(["--sparsity-threshold", "2"], ["--pin", "re:(=gpu"], ["--device", "/dev/zero"]);
  return pick(rand, choices);
}

export { TensorProtoSchema };
