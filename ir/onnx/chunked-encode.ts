// Encoding a ModelProto for a file without copying its weights. protobuf-es writes into one
// growing buffer and slices it at the end, so a 100 MB model passed through about three
// 100 MB copies. Here the main graph's large raw_data fields stay the caller's bytes: each
// message around them is encoded without that field, cut where the field belongs (fields are
// written in field-number order, unknown fields last) and the pieces are returned in order.
// The concatenation is byte-identical to `encodeModel` (tested over the whole corpus).
import { create, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { GraphProtoSchema, ModelProtoSchema, TensorProtoSchema, encodeModel, type ModelProto, type TensorProto } from "./proto.ts";

const LEN = 2;
const GRAPH_FIELD = 7; // ModelProto.graph
const INITIALIZER_FIELD = 5; // GraphProto.initializer
const RAW_DATA_FIELD = 9; // TensorProto.raw_data

interface UnknownField { no: number; wireType: number; data: Uint8Array }

/** The model's encoding as pieces (views, not copies, of raw_data of at least `large` bytes). */
export function encodeModelChunks(model: ModelProto, large = 1 << 16): Uint8Array[] {
  const graph = model.graph;
  if (!graph || !graph.initializer.some((t) => t.rawData.length >= large && t.rawData.length > 0)) return [encodeModel(model)];
  const tensors = graph.initializer.map((t) => field(INITIALIZER_FIELD, tensorChunks(t, large)));
  const graphChunks = encodeAround(GraphProtoSchema, graph, "initializer", [], INITIALIZER_FIELD, tensors.flat());
  return encodeAround(ModelProtoSchema, model, "graph", undefined, GRAPH_FIELD, field(GRAPH_FIELD, graphChunks));
}

export function chunksLength(chunks: readonly Uint8Array[]): number {
  return chunks.reduce((a, c) => a + c.length, 0);
}

function tensorChunks(t: TensorProto, large: number): Uint8Array[] {
  if (t.rawData.length < large || t.rawData.length === 0) return [toBinary(TensorProtoSchema, t)];
  return encodeAround(TensorProtoSchema, t, "rawData", undefined, RAW_DATA_FIELD, [...fieldHeader(RAW_DATA_FIELD, t.rawData.length), t.rawData]);
}

/**
 * `msg` encoded without `key` (field number `no`) and without its unknown fields, with
 * `inserted` placed where field `no` is written, and the unknown fields after everything.
 */
function encodeAround<D extends DescMessage>(schema: D, msg: MessageShape<D>, key: string, empty: unknown, no: number, inserted: Uint8Array[]): Uint8Array[] {
  const source = msg as unknown as Record<string, unknown>;
  const copy = create(schema) as unknown as Record<string, unknown>;
  for (const k of Object.keys(source)) if (k !== key && k !== "$unknown") copy[k] = source[k];
  if (empty !== undefined) copy[key] = empty;
  const bytes = toBinary(schema, copy as unknown as MessageShape<D>);
  const at = firstFieldAfter(bytes, no);
  const unknown = ((source.$unknown ?? []) as UnknownField[]).flatMap((u) => [varint((u.no << 3) | u.wireType), u.data]);
  return [bytes.subarray(0, at), ...inserted, bytes.subarray(at), ...unknown];
}

/** Offset of the first top-level field numbered above `no` (the end when there is none). */
function firstFieldAfter(bytes: Uint8Array, no: number): number {
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const [tag, afterTag] = readVarint(bytes, pos);
    if (Math.floor(tag / 8) > no) return start;
    pos = afterTag;
    switch (tag & 7) {
      case 0: pos = readVarint(bytes, pos)[1]; break;
      case 1: pos += 8; break;
      case 5: pos += 4; break;
      case LEN: { const [len, p] = readVarint(bytes, pos); pos = p + len; break; }
      default: throw new Error(`chunked encode: unexpected wire type ${tag & 7}`);
    }
  }
  return bytes.length;
}

function readVarint(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[pos++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos];
    scale *= 128;
  }
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return Uint8Array.from(out);
}

function fieldHeader(no: number, length: number): Uint8Array[] {
  return [varint((no << 3) | LEN), varint(length)];
}

/** A length-delimited field holding `chunks`. */
function field(no: number, chunks: Uint8Array[]): Uint8Array[] {
  return [...fieldHeader(no, chunksLength(chunks)), ...chunks];
}
