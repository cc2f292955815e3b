// Device maps and the GPU providers' error paths: an unavailable provider is a clear error,
// a GPU device on the CPU is said in words, never silently.
import { expect } from "chai";
import { loadPackage } from "../../src/runtime/runtime.ts";
import { parseProcessorMap, parseThreads, placeProcessors, ProviderError } from "../../src/runtime/processor-placement.ts";
import { providerProblem } from "../../ort/providers.ts";
import { annotatedTwoBranch, rejection } from "../support/runtime-helpers.ts";
import { skipBecause } from "../support/corpus.ts";

describe("runtime providers and processor maps", () => {
  it("parses processor maps and thread specs, rejecting malformed ones by name", () => {
    expect(parseProcessorMap("gpu=cuda,cpu=cpu")).to.deep.equal({ gpu: "cuda", cpu: "cpu" });
    expect(parseProcessorMap(["gpu=WebGPU"])).to.deep.equal({ gpu: "webgpu" });
    expect(() => parseProcessorMap("gpu")).to.throw(ProviderError, /'gpu' is not PROCESSOR=PROVIDER/);
    expect(() => parseProcessorMap("gpu=metal")).to.throw(ProviderError, /'gpu=metal': unknown provider/);
    expect(parseThreads("cpu=1,gpu=2")).to.deep.equal({ cpu: 1, gpu: 2 });
    expect(parseThreads("3")).to.equal(3);
    expect(() => parseThreads("cpu=0")).to.throw(ProviderError, /'cpu=0'/);
  });

  it("finds no CUDA provider here and says why (onnxruntime-node ships no CUDA libraries)", async function () {
    const problem = await providerProblem("cuda");
    if (problem === undefined) skipBecause(this, "this host has a working CUDA provider");
    expect(problem).to.match(/shared library/);
  });

  it("gpu=cuda on a host without CUDA: one clear error naming the processor and the way out", async function () {
    if ((await providerProblem("cuda")) === undefined) skipBecause(this, "this host has a working CUDA provider");
    const e = await rejection(loadPackage(annotatedTwoBranch(), { processorMap: "gpu=cuda" }));
    expect(e).to.be.instanceOf(ProviderError);
    expect(e.message).to.match(/^processor 'gpu' cannot use provider 'cuda': onnxruntime-node on this host has no CUDA provider library \(.*\); map it to the CPU with --processor-map gpu=cpu, or see docs\/gpu.md$/);
    expect(e.message).to.not.include("\n");
  });

  it("gpu=webgpu without an adapter: a clear error, not a fallback", async function () {
    if ((await providerProblem("webgpu")) === undefined) skipBecause(this, "this host has a WebGPU adapter");
    const e = await rejection(loadPackage(annotatedTwoBranch(), { processorMap: "gpu=webgpu" }));
    expect(e.message).to.match(/^processor 'gpu' cannot use provider 'webgpu': onnxruntime's WebGPU provider found no GPU adapter \(Failed to get a WebGPU adapter/);
  });

  it("places an unmapped gpu processor on the CPU with a note that says so; mapped processors must exist", async function () {
    if ((await providerProblem("cuda")) === undefined || (await providerProblem("webgpu")) === undefined) skipBecause(this, "this host has a working CUDA provider or WebGPU adapter");
    const placed = await placeProcessors(["cpu", "gpu"], {}, { cpu: 1 });
    expect(placed).to.deep.equal([
      { processor: "cpu", provider: "cpu", threads: 1 },
      { processor: "gpu", provider: "cpu", threads: placed[1]!.threads, note: "gpu -> cpu (no GPU on this host: the 'gpu' partitions run on the CPU)" },
    ]);
    const e = await rejection(placeProcessors(["cpu"], { npu: "cpu" }));
    expect(e.message).to.equal("processor map: no partition uses processor 'npu' (the package's processors: cpu)");
  });
});
