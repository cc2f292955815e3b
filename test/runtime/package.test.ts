// Reading packages: manifest errors name the field; files must stay inside the package folder.
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateManifest, ManifestError } from "../../src/package/validate.ts";
import { openPackage } from "../../src/runtime/package.ts";
import { FIXTURES } from "../support/corpus.ts";
import { writeHandPackage } from "../support/hand-package.ts";

describe("runtime package loading", () => {
  let dir: string;
  let good: Record<string, unknown>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "sparoa-pkg-"));
    await writeHandPackage(join(FIXTURES, "two-branch.onnx"), join(dir, "p"), (n) => ({ partition: n.name.startsWith("right") ? 0 : 1, processor: n.name.startsWith("right") ? "gpu" : "cpu" }));
    good = JSON.parse(readFileSync(join(dir, "p", "manifest.json"), "utf8"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const broken = (edit: (m: any) => void): unknown => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const m = structuredClone(good);
    edit(m);
    return m;
  };

  it("accepts what the cutter writes", () => {
    const m = validateManifest(good);
    expect(m.partitions.map((p) => p.processor)).to.deep.equal(["gpu", "cpu"]);
    expect(m.partitions[1]!.dependsOn).to.deep.equal([0]);
    expect(m.boundaries.map((b) => [b.name, b.from, b.to])).to.deep.equal([["right_relu3_out0", 0, [1]]]);
  });

  const cases: [string, (m: any) => void, RegExp][] = [ // eslint-disable-line @typescript-eslint/no-explicit-any
    ["wrong schema", (m) => { m.schema = "sparoa.package.v0"; }, /^manifest.json: schema: expected "sparoa.package.v2" \(or "sparoa.package.v1"\), got "sparoa.package.v0"$/],
    ["processor not a string", (m) => { m.partitions[1].processor = 5; }, /^manifest.json: partitions\[1\].processor: expected a non-empty string, got 5$/],
    // A v1 manifest names the processor `device`: one that says v1 is read by the v1 field.
    ["v1 schema without v1's device field", (m) => { m.schema = "sparoa.package.v1"; }, /^manifest.json: partitions\[0\].device: expected a non-empty string, got nothing$/],
    ["bad dtype", (m) => { m.source.inputs[0].dtype = "float"; }, /source.inputs\[0\].dtype: expected an ONNX short dtype name/],
    ["input nobody produces", (m) => { m.partitions[1].inputs.push("ghost"); }, /partitions\[1\].inputs\[2\]: expected a model input or an output of an earlier partition, got "ghost"/],
    ["missing dependency", (m) => { m.partitions[1].dependsOn = []; }, /partitions\[1\].dependsOn: expected to include partition 0, which produces its input 'right_relu3_out0'/],
    ["duplicate id", (m) => { m.partitions[1].id = 0; }, /partitions\[1\].id: expected an id no other partition has, got 0/],
    ["no partitions", (m) => { m.partitions = []; }, /partitions: expected at least one partition/],
    ["output never produced", (m) => { m.source.outputs[0].name = "z"; }, /source.outputs\[0\].name: expected a value some partition produces, got "z"/],
  ];
  for (const [what, edit, message] of cases) {
    it(`rejects a manifest with ${what}, naming the field`, () => {
      expect(() => validateManifest(broken(edit))).to.throw(ManifestError, message);
    });
  }

  it("refuses partition files outside the folder, missing files and folders without a manifest", async () => {
    const write = (m: unknown) => writeFileSync(join(dir, "p", "manifest.json"), JSON.stringify(m));
    try {
      write(broken((m) => { m.partitions[0].file = "../../etc/passwd"; }));
      await expectReject(openPackage(join(dir, "p")), /partitions\[0\].file: '..\/..\/etc\/passwd' is outside the package folder/);
      write(broken((m) => { m.partitions[0].file = "nope.onnx"; }));
      await expectReject(openPackage(join(dir, "p")), /partitions\[0\].file: 'nope.onnx' does not exist/);
      writeFileSync(join(dir, "p", "manifest.json"), "{ nope");
      await expectReject(openPackage(join(dir, "p")), /manifest.json: not valid JSON/);
    } finally {
      write(good);
    }
    await expectReject(openPackage(dir), /not a sparoa package \(no manifest.json/);
    await expectReject(openPackage(join(dir, "missing")), /no such file or folder/);
  });
});

async function expectReject(p: Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect((e as Error).message).to.match(message);
    return;
  }
  expect.fail(`expected rejection matching ${message}`);
}
