// Lossless I/O: every corpus and npm model decodes and re-encodes byte-identically, both at
// the protobuf layer and through the IR, and the IR verifies.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { decodeModel, encodeModel } from "../../ir/onnx/proto.ts";
import { encodeModelChunks } from "../../ir/onnx/chunked-encode.ts";
import { loadModel, modelBytes } from "../../ir/onnx/file.ts";
import { verifyModel } from "../../ir/verify.ts";
import { allCorpusModels, hasBackendTests, npmModels, requireBackendTests } from "../support/corpus.ts";

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

describe("ONNX round trip", () => {
  it("is byte-identical for every corpus model (protobuf layer and through the IR), all verify", function () {
    requireBackendTests(this);
    const files = allCorpusModels();
    const protoMismatch: string[] = [];
    const irMismatch: string[] = [];
    const chunkMismatch: string[] = [];
    const invalid: string[] = [];
    for (const f of files) {
      const bytes = readFileSync(f);
      const proto = decodeModel(bytes);
      if (!sameBytes(encodeModel(proto), bytes)) protoMismatch.push(f);
      // The file writer's encoding (weights as separate pieces, every raw_data split out here) is the same bytes.
      if (!sameBytes(Buffer.concat(encodeModelChunks(proto, 1)), bytes)) chunkMismatch.push(f);
      const model = loadModel(f);
      if (!sameBytes(modelBytes(model), bytes)) irMismatch.push(f);
      const problems = verifyModel(model);
      if (problems.length > 0) invalid.push(`${f}: ${problems[0]}`);
    }
    console.log(`      ${files.length} corpus models: ${files.length - protoMismatch.length} identical via protobuf, ${files.length - irMismatch.length} identical via IR, ${files.length - invalid.length} verify`);
    expect(files.length).to.be.greaterThan(1900);
    expect(protoMismatch).to.deep.equal([]);
    expect(irMismatch).to.deep.equal([]);
    expect(chunkMismatch).to.deep.equal([]);
    expect(invalid).to.deep.equal([]);
  });

  it("is byte-identical for real npm-shipped models (PP-OCRv4, Silero VAD with If subgraphs and metadata_props)", () => {
    const files = npmModels();
    expect(files.length).to.be.greaterThanOrEqual(7);
    for (const f of files) {
      const bytes = readFileSync(f);
      const model = loadModel(f);
      expect(sameBytes(modelBytes(model), bytes), f).to.equal(true);
      expect(verifyModel(model), f).to.deep.equal([]);
    }
  });

  it("keeps node metadata_props (IR 10) through the IR", () => {
    const withMeta = npmModels().map((f) => loadModel(f)).find((m) => [...m.graph.allNodes()].some((n) => n.metadata.size > 0));
    expect(withMeta, "an npm model with node metadata_props").to.not.equal(undefined);
    const count = [...withMeta!.graph.allNodes()].reduce((a, n) => a + n.metadata.size, 0);
    expect(count).to.be.greaterThan(100);
  });

  it("has the shared corpus beside the checkout (developers and CI)", function () {
    requireBackendTests(this);
    expect(allCorpusModels().length).to.be.greaterThan(1900);
  });
});
