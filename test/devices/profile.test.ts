// Device profiles: the bundled ones validate; malformed ones fail naming the field; unknown
// names list the known ones; the latency model computes the roofline it documents.
import { expect } from "chai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundledProfileNames, deviceNames, loadProfile, transferMs, validateProfile, ProfileError } from "../../src/devices/profile.ts";
import { interpolate, nodeLatency, nodeLatencyMs, opKey } from "../../src/devices/latency.ts";
import { NodeKey } from "../../ir/annotation-keys.ts";
import { chainModel, toyProfile } from "../sim/graphs.ts";

const orinNano = () => JSON.parse(readFileSync(join(import.meta.dirname, "../../src/devices/profiles/orin-nano.json"), "utf8")) as Record<string, unknown>;

describe("device profiles", () => {
  it("bundles orin-nano, agx-orin and h100-pcie, all valid; host and host-2x1 are measured here, never shipped", () => {
    expect(bundledProfileNames()).to.deep.equal(["agx-orin", "h100-pcie", "orin-nano"]);
    expect(deviceNames()).to.deep.equal(["agx-orin", "h100-pcie", "host", "host-2x1", "orin-nano"]);
    for (const name of bundledProfileNames()) {
      const p = loadProfile(name);
      expect(p.name).to.equal(name);
      expect(p.processors[p.host]).to.not.equal(undefined);
      expect(p.measured, name).to.equal(undefined);
    }
    // The measured fixture (another machine's profile) still validates.
    expect(loadProfile(join(import.meta.dirname, "../../fixtures/profiles/host-2026-11-26.json")).measured?.providers.cpu).to.equal("measured");
  });

  it("an unknown device lists the known ones", () => {
    expect(() => loadProfile("orin-nanoo")).to.throw(ProfileError, /unknown device 'orin-nanoo' \(did you mean 'orin-nano'\?\); known devices: agx-orin, h100-pcie, host, host-2x1, orin-nano/);
    expect(() => loadProfile("nope/profile.json")).to.throw(/nope\/profile.json: device profile file not found/);
  });

  it("a malformed profile names the field", () => {
    const cases: [(p: any) => void, RegExp][] = [
      [(p) => { p.schema = "sparoa.device.v0"; }, /field 'schema' must be "sparoa.device.v1"/],
      [(p) => { p.processors.gpu.peakGflops.f32 = -3; }, /field 'processors.gpu.peakGflops.f32' must be greater than 0/],
      [(p) => { delete p.processors.cpu.memoryBandwidthGBs; }, /field 'processors.cpu.memoryBandwidthGBs' must be a number/],
      [(p) => { p.processors.cpu.efficiency.convv = { compute: 1, memory: 1 }; }, /field 'processors.cpu.efficiency.convv' is not an op family/],
      [(p) => { p.processors.cpu.sparsity.conv.points = [[0.5, 1], [0.2, 2]]; }, /field 'processors.cpu.sparsity.conv.points\[1\]\[0\]' must be greater than the previous/],
      [(p) => { p.links[0].between = ["cpu", "npu"]; }, /field 'links\[0\].between\[1\]' names no processor/],
      [(p) => { p.links = []; }, /field 'links' has no link between 'cpu' and 'gpu'/],
      [(p) => { p.host = "dsp"; }, /field 'host' names no processor/],
      [(p) => { p.processors.gpu.executionProvider = "metal"; }, /field 'processors.gpu.executionProvider' must be one of cpu, xnnpack, cuda, tensorrt, webgpu/],
    ];
    for (const [mutate, message] of cases) {
      const p = orinNano();
      mutate(p);
      expect(() => validateProfile(p, "bad.json"), String(message)).to.throw(ProfileError, message);
    }
    const dir = mkdtempSync(join(tmpdir(), "sparoa-profile-"));
    const file = join(dir, "broken.json");
    writeFileSync(file, "{ not json");
    expect(() => loadProfile(file)).to.throw(/broken.json: not valid JSON/);
    const p = orinNano();
    (p.processors as any).cpu.dispatchUs = "fast";
    writeFileSync(file, JSON.stringify(p));
    expect(() => loadProfile(file)).to.throw(/broken.json: field 'processors.cpu.dispatchUs' must be a number \(got "fast"\)/);
  });

  it("transfers: latency plus bytes over bandwidth; zero-copy pays latency only", () => {
    const p = toyProfile();
    expect(transferMs(p, "cpu", "gpu", 10e6)).to.be.closeTo(0.015 + 1, 1e-12);
    expect(transferMs(p, "gpu", "gpu", 10e6)).to.equal(0);
    const nano = loadProfile("orin-nano");
    expect(nano.links[0]!.memory).to.equal("unified");
    const zc = validateProfile({ ...orinNano(), links: [{ ...nano.links[0]!, zeroCopy: true }] });
    expect(transferMs(zc, "cpu", "gpu", 10e6)).to.be.closeTo(nano.links[0]!.latencyUs / 1000, 1e-12);
  });
});

describe("latency model", () => {
  it("is the roofline max(compute, memory) plus dispatch", () => {
    const p = toyProfile();
    const [node] = chainModel([2e9]).graph.nodes; // 2 GFLOP on a 100 GFLOP/s CPU: 20 ms; 8 KB at 20 GB/s: 0.4 us
    expect(nodeLatencyMs(node!, "cpu", p)).to.be.closeTo(20 + 0.002, 1e-9);
    expect(nodeLatencyMs(node!, "gpu", p)).to.be.closeTo(1 + 0.02, 1e-9);
    node!.annotations.set(NodeKey.flops, 0);
    node!.annotations.set(NodeKey.bytesRead, 1e9);
    node!.annotations.set(NodeKey.bytesWritten, 0);
    expect(nodeLatencyMs(node!, "cpu", p)).to.be.closeTo(50 + 0.002, 1e-9); // memory-bound
    expect(nodeLatencyMs(node!, "cpu", p, { batch: 2 })).to.be.closeTo(100 + 0.002, 1e-6);
    expect(nodeLatencyMs(node!, "cpu", p, { fused: true })).to.equal(0);
  });

  it("applies the efficiency factors, the half-efficiency size and the sparsity effect", () => {
    const p = toyProfile();
    p.processors.cpu!.efficiency.matmul = { compute: 0.5, memory: 1, computeHalfMflop: 100 };
    p.processors.cpu!.sparsity = { matmul: { source: "weights", points: [[0, 1], [0.5, 1], [0.9, 3]] } };
    const [node] = chainModel([100e6]).graph.nodes;
    // (F + half) / (peak * compute) = (100e6 + 100e6) / (100e9 * 0.5) = 4 ms
    expect(nodeLatencyMs(node!, "cpu", p)).to.be.closeTo(4 + 0.002, 1e-9);
    node!.annotations.set(NodeKey.weightSparsity, 0.7);
    const b = nodeLatency(node!, "cpu", p);
    expect(b.sparsitySpeedup).to.be.closeTo(2, 1e-12);
    expect(b.totalMs).to.be.closeTo(2 + 0.002, 1e-9);
    expect(interpolate([[0, 1], [0.5, 1], [0.9, 3]], 1)).to.equal(3);
    // A small-kernel share: rate x (F + share x half) / (F + half); small kernels keep a quarter of the rate.
    node!.annotations.delete(NodeKey.weightSparsity);
    p.processors.cpu!.efficiency.matmul = { compute: 0.5, memory: 1, computeHalfMflop: 100, computeSmallShare: 0.25 };
    // 100e6 / (100e9 * 0.5 * (100 + 25) / (100 + 100)) = 3.2 ms
    expect(nodeLatencyMs(node!, "cpu", p)).to.be.closeTo(3.2 + 0.002, 1e-9);
    const [tiny] = chainModel([1e3]).graph.nodes;
    // far below the half size: 1e3 / (100e9 * 0.5 * ~0.25), no fixed cost per kernel
    expect(nodeLatency(tiny!, "cpu", p).computeMs).to.be.closeTo(1e3 / (100e9 * 0.5 * ((1e-3 + 25) / (1e-3 + 100))) * 1000, 1e-12);
  });

  it("a measured table entry overrides the model for its (op, shapes)", () => {
    const p = toyProfile();
    const [node] = chainModel([2e9]).graph.nodes;
    expect(opKey(node!)).to.equal("MatMul(1x1024)->1x1024");
    p.measuredTable = [{ processor: "cpu", key: opKey(node!), ms: 7.5 }];
    expect(nodeLatency(node!, "cpu", p).source).to.equal("table");
    expect(nodeLatencyMs(node!, "cpu", p)).to.equal(7.5);
    expect(nodeLatencyMs(node!, "gpu", p)).to.be.closeTo(1.02, 1e-9);
    expect(nodeLatencyMs(node!, "cpu", p, { ignoreTable: true })).to.be.closeTo(20.002, 1e-9);
  });
});
