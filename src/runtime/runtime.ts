// The bundled runtime: one worker thread per processor, each owning the onnxruntime
// sessions of its partitions. A request goes to every worker at once; each runs a partition
// as soon as its inputs are there, so independent partitions on different processors run at the
// same time. Values stay on the processor that made them when read there, and go straight to
// the reading worker otherwise, by transferring their ArrayBuffers over a peer port (a copy
// only when more than one processor reads a value): the main thread only hands out the model
// inputs and collects the outputs.
import { MessageChannel } from "node:worker_threads";
import type * as ort from "onnxruntime-node";
import type { Model } from "../../ir/model.ts";
import type { PackageManifest } from "../package/manifest.ts";
import { openPackage, type OpenedPackage } from "./package.ts";
import { describePlacement, parseProcessorMap, parseThreads, placeProcessors, processorMapOption, type ProcessorMapSpec, type ProcessorPlacement } from "./processor-placement.ts";
import { RuntimeError, WorkerHandle, type DoneMessage, type RequestListener } from "./worker-handle.ts";
import { checkFeeds, InputError } from "./validate-inputs.ts";
import { copyWire, fromWire, wireBytes } from "../../ort/wire.mjs";
import { TraceRecorder } from "./trace-recorder.ts";
import { BufferPool } from "./buffer-pool.ts";
import { planRoutes, summarizeRoutes, type ProcessorRoutes, type RouteSummary } from "./routes.ts";
import { nowMs, type PartitionLoad, type WireTensor } from "./messages.ts";

export interface LoadOptions {
  /** Processor -> provider: "gpu=cuda", ["gpu=cpu"], {gpu: "webgpu"}. */
  processorMap?: ProcessorMapSpec;
  /** @deprecated The old name of `processorMap`, still accepted. */
  deviceMap?: ProcessorMapSpec;
  /** Intra-op threads: one number for every processor, or per processor ("cpu=1,gpu=1" or an object). */
  threads?: number | string | Record<string, number>;
  /** Record a Chrome trace of every run (see `trace`). */
  trace?: boolean;
}

export type Feeds = Record<string, ort.Tensor>;

export interface ProcessorStats { processor: string; provider: string; threads: number; busyMs: number; utilisation: number; restarts: number; partitions: number[] }

export class Runtime {
  readonly trace: TraceRecorder | undefined;
  private readonly handles = new Map<string, WorkerHandle>();
  /** Reused buffers for the copies of request inputs (the workers hand them back). */
  private readonly pool = new BufferPool();
  /** Model input -> how many processors read it (all but the last get a copy). */
  private readonly inputProcessors = new Map<string, number>();
  private readonly outputs: string[];
  private closed = false;
  private requestCounter = 0;
  private statsSince = nowMs();
  /** Per partition id: measured compute time (worker start to end) and runs since the last reset. */
  private readonly partitionTotals = new Map<number, { ms: number; runs: number }>();

  /** `routes`: where each value goes, per processor, in the order of `placements` (fixed at load). */
  private constructor(readonly pkg: OpenedPackage, readonly placements: ProcessorPlacement[], private readonly routes: readonly ProcessorRoutes[], trace: boolean) {
    this.trace = trace ? new TraceRecorder() : undefined;
    this.outputs = pkg.manifest.source.outputs.map((t) => t.name);
    for (const r of routes) for (const n of r.inputs) this.inputProcessors.set(n, (this.inputProcessors.get(n) ?? 0) + 1);
  }

  get manifest(): PackageManifest {
    return this.pkg.manifest;
  }

  /** Opens a package (folder, annotated model or plain model), places processors and starts the workers. */
  static async load(target: string | Model, options: LoadOptions = {}): Promise<Runtime> {
    const pkg = await openPackage(target);
    const processors = [...new Set(pkg.manifest.partitions.map((p) => p.processor))].sort((a, b) => (a === "cpu" ? -1 : b === "cpu" ? 1 : a.localeCompare(b)));
    const placements = await placeProcessors(processors, parseProcessorMap(processorMapOption(options)), parseThreads(options.threads));
    const runtime = new Runtime(pkg, placements, planRoutes(pkg.manifest, processors), options.trace === true);
    const cpuWorkers = placements.filter((p) => p.provider === "cpu").length;
    placements.forEach((placement, i) => {
      const r = runtime.routes[i]!;
      const loads: PartitionLoad[] = r.partitions.map((p) => ({ ...p, model: pkg.models.get(p.id)!, label: `partition ${p.id} (${pkg.manifest.partitions.find((q) => q.id === p.id)!.file})` }));
      const spin = placement.provider !== "cpu" || cpuWorkers === 1;
      const handle = new WorkerHandle(placement, { processor: placement.processor, partitions: loads, settings: { providers: [placement.provider], threads: placement.threads, spin }, readers: r.readers });
      handle.onSpawn = (h) => runtime.connectPeers(h);
      runtime.handles.set(placement.processor, handle);
    });
    try {
      await Promise.all([...runtime.handles.values()].map((h) => h.start()));
    } catch (e) {
      await runtime.close();
      throw e;
    }
    return runtime;
  }

  /** Gives a (new) worker a port to every other live worker, and them one to it. */
  private connectPeers(handle: WorkerHandle): void {
    for (const other of this.handles.values()) {
      if (other === handle || !other.alive) continue;
      const { port1, port2 } = new MessageChannel();
      handle.post({ kind: "peer", processor: other.processor, port: port1 }, [port1]);
      other.post({ kind: "peer", processor: handle.processor, port: port2 }, [port2]);
    }
  }

  /** What travels where on each request: kept on a processor, worker to worker, back to the caller. */
  routeSummary(): RouteSummary {
    return summarizeRoutes(this.routes);
  }

  /** One line per processor: where it runs, stated plainly when a GPU processor runs on the CPU. */
  describeProcessors(): string[] {
    return this.placements.map(describePlacement);
  }

  /** Checks the feeds, runs every partition, returns the model's outputs by name. */
  async run(feeds: Feeds): Promise<Record<string, ort.Tensor>> {
    const wires = new Map<string, WireTensor>();
    const shapes = new Map(Object.entries(feeds).map(([name, t]) => [name, { type: t.type, dims: t.dims }]));
    checkFeeds(shapes, this.manifest.source.inputs);
    for (const [name, t] of Object.entries(feeds)) {
      const data = t.data;
      if (!ArrayBuffer.isView(data)) throw new InputError(`input '${name}': string tensors are not supported by the runtime`);
      // A copy: the caller's buffer must not be detached by the transfer to a worker.
      wires.set(name, { name, type: t.type, dims: [...t.dims], data: this.pool.copy(data) });
    }
    const out = await this.runWire(wires);
    return Object.fromEntries([...out].map(([name, w]) => [name, fromWire(w)]));
  }

  /**
   * The executor proper, on wire tensors the runtime may consume (used by the batching queue).
   * Every processor gets its share of the request at once; the workers pass values among
   * themselves and send back only the model's outputs.
   */
  async runWire(feeds: Map<string, WireTensor>, checked = true): Promise<Map<string, WireTensor>> {
    if (this.closed) throw new RuntimeError("the runtime is closed");
    if (!checked) checkFeeds(new Map([...feeds].map(([n, w]) => [n, { type: w.type, dims: w.dims }])), this.manifest.source.inputs);
    const request = ++this.requestCounter;
    const begin = nowMs();
    const results = new Map<string, WireTensor>();
    for (const name of this.outputs) { const f = feeds.get(name); if (f) results.set(name, copyWire(f)); } // a model input that is also an output
    const sendsLeft = new Map(this.inputProcessors);
    const take = (name: string): WireTensor => {
      const left = sendsLeft.get(name)! - 1;
      sendsLeft.set(name, left);
      const w = feeds.get(name)!;
      return left > 0 ? { ...w, dims: [...w.dims], data: this.pool.copy(new Uint8Array(w.data)) } : w;
    };
    return new Promise((resolve, reject) => {
      let left = this.manifest.partitions.length;
      let failed = false;
      const fail = (e: Error): void => {
        if (failed) return;
        failed = true;
        for (const h of this.handles.values()) h.forget(request);
        reject(e);
      };
      const listener = (processor: string): RequestListener => ({
        failed: fail,
        done: (m, returned) => {
          for (const b of m.spent) this.pool.give(b);
          if (failed) return;
          for (const o of m.outputs) results.set(o.name, o);
          this.record(processor, request, m, returned);
          if (--left > 0) return;
          const missing = this.outputs.find((n) => !results.has(n));
          if (missing) return fail(new RuntimeError(`no partition returned the model output '${missing}'`));
          this.trace?.async("request", `request ${request}`, begin, nowMs());
          resolve(new Map(this.outputs.map((n) => [n, results.get(n)!])));
        },
      });
      for (const r of this.routes) {
        this.handles.get(r.processor)!.dispatch(request, r.partitions.map((p) => p.id), r.inputs.map(take), listener(r.processor)).catch(fail);
      }
    });
  }

  /** The trace of one partition run: its span on the processor's track and the transfers around it. */
  private record(processor: string, request: number, m: DoneMessage, returned: number): void {
    const total = this.partitionTotals.get(m.partition);
    if (total) { total.ms += m.end - m.start; total.runs++; } else this.partitionTotals.set(m.partition, { ms: m.end - m.start, runs: 1 });
    if (!this.trace) return;
    const p = this.manifest.partitions.find((q) => q.id === m.partition)!;
    const track = `processor ${describePlacement(this.handles.get(processor)!.placement)}`;
    this.trace.span(track, `partition ${p.id}`, m.start, m.end, { request, inputs: p.inputs, outputs: p.outputs });
    for (const a of m.arrivals) this.trace.async("transfer", `${a.name}: ${a.from} -> ${processor}`, a.sent, a.received, { bytes: a.bytes, request });
    for (const o of m.outputs) this.trace.async("transfer", `${o.name}: ${processor} -> main`, m.sent, returned, { bytes: wireBytes(o), request });
  }

  /** Busy time and utilisation per processor since the last reset. */
  processorStats(): ProcessorStats[] {
    const wall = nowMs() - this.statsSince;
    return this.placements.map((pl) => {
      const h = this.handles.get(pl.processor)!;
      return {
        processor: pl.processor, provider: pl.provider, threads: pl.threads, busyMs: h.busyMs,
        utilisation: wall > 0 ? h.busyMs / wall : 0, restarts: h.restarts,
        partitions: this.manifest.partitions.filter((p) => p.processor === pl.processor).map((p) => p.id),
      };
    });
  }

  /** Mean measured time of each partition since the last reset (ms, by partition id): the drift check's input. */
  partitionTimes(): Map<number, number> {
    return new Map([...this.partitionTotals].map(([id, t]) => [id, t.ms / t.runs]));
  }

  resetStats(): void {
    this.statsSince = nowMs();
    this.partitionTotals.clear();
    for (const h of this.handles.values()) h.busyMs = 0;
  }

  /** Bytes of input-copy buffers the workers handed back and the next requests will reuse. */
  get spareInputBytes(): number {
    return this.pool.held;
  }

  /** Number of worker threads currently alive (0 after close). */
  get liveWorkers(): number {
    return [...this.handles.values()].filter((h) => h.alive).length;
  }

  /** The handle of a processor's worker (tests use it to crash one). */
  worker(processor: string): WorkerHandle {
    const h = this.handles.get(processor);
    if (!h) throw new RuntimeError(`no processor '${processor}' (processors: ${[...this.handles.keys()].join(", ")})`);
    return h;
  }

  /** Releases every session and ends every worker thread. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.handles.values()].map((h) => h.close()));
  }
}

/** `loadPackage(pathOrModel, {processorMap, threads})`: the library entry point. */
export function loadPackage(target: string | Model, options: LoadOptions = {}): Promise<Runtime> {
  return Runtime.load(target, options);
}

export { RuntimeError, InputError };
