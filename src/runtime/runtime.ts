// The bundled runtime: one worker thread per logical device, each owning the onnxruntime
// sessions of its partitions. The main thread starts a partition as soon as all its inputs
// exist, so independent partitions on different devices run at the same time, and moves
// tensors between workers by transferring their ArrayBuffers (copying only a value that more
// than one partition reads, once per extra reader).
import * as ort from "onnxruntime-node";
import type { Model } from "../../ir/model.ts";
import type { PackageManifest, PartitionSpec } from "../package/manifest.ts";
import { openPackage, type OpenedPackage } from "./package.ts";
import { describePlacement, parseDeviceMap, parseThreads, placeDevices, type DevicePlacement } from "./providers.ts";
import { RuntimeError, WorkerHandle } from "./worker-handle.ts";
import { checkFeeds, InputError } from "./validate-inputs.ts";
import { copyWire, fromWire, wireBytes } from "./wire.ts";
import { TraceRecorder } from "./trace.ts";
import { nowMs, type WireTensor } from "./messages.ts";

export interface LoadOptions {
  /** Logical device -> provider: "gpu=cuda", ["gpu=cpu"], {gpu: "webgpu"}. */
  deviceMap?: string | readonly string[] | Record<string, string>;
  /** Intra-op threads: one number for every device, or per device ("cpu=1,gpu=1" or an object). */
  threads?: number | string | Record<string, number>;
  /** Record a Chrome trace of every run (see `trace`). */
  trace?: boolean;
}

export type Feeds = Record<string, ort.Tensor>;

export interface DeviceStats { device: string; provider: string; threads: number; busyMs: number; utilisation: number; restarts: number; partitions: number[] }

export class Runtime {
  readonly trace: TraceRecorder | undefined;
  private readonly handles = new Map<string, WorkerHandle>();
  private readonly readers = new Map<string, number>();
  private readonly outputs: string[];
  private closed = false;
  private requestCounter = 0;
  private statsSince = nowMs();

  private constructor(readonly pkg: OpenedPackage, readonly placements: DevicePlacement[], trace: boolean) {
    this.trace = trace ? new TraceRecorder() : undefined;
    this.outputs = pkg.manifest.source.outputs.map((t) => t.name);
    for (const p of pkg.manifest.partitions) for (const name of p.inputs) this.readers.set(name, (this.readers.get(name) ?? 0) + 1);
  }

  get manifest(): PackageManifest {
    return this.pkg.manifest;
  }

  /** Opens a package (folder, annotated model or plain model), places devices and starts the workers. */
  static async load(target: string | Model, options: LoadOptions = {}): Promise<Runtime> {
    const pkg = await openPackage(target);
    const devices = [...new Set(pkg.manifest.partitions.map((p) => p.device))].sort((a, b) => (a === "cpu" ? -1 : b === "cpu" ? 1 : a.localeCompare(b)));
    const placements = await placeDevices(devices, parseDeviceMap(options.deviceMap), parseThreads(options.threads));
    const runtime = new Runtime(pkg, placements, options.trace === true);
    for (const placement of placements) {
      const parts = pkg.manifest.partitions.filter((p) => p.device === placement.device);
      const loads = parts.map((p) => ({ id: p.id, model: pkg.models.get(p.id)!, label: `partition ${p.id} (${p.file})` }));
      runtime.handles.set(placement.device, new WorkerHandle(placement, loads));
    }
    try {
      await Promise.all([...runtime.handles.values()].map((h) => h.start()));
    } catch (e) {
      await runtime.close();
      throw e;
    }
    return runtime;
  }

  /** One line per device: where it runs, stated plainly when a GPU device runs on the CPU. */
  describeDevices(): string[] {
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
      wires.set(name, { name, type: t.type, dims: [...t.dims], data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer });
    }
    const out = await this.runWire(wires);
    return Object.fromEntries([...out].map(([name, w]) => [name, fromWire(w)]));
  }

  /** The executor proper, on wire tensors the runtime may consume (used by the batching queue). */
  async runWire(feeds: Map<string, WireTensor>, checked = true): Promise<Map<string, WireTensor>> {
    if (this.closed) throw new RuntimeError("the runtime is closed");
    if (!checked) checkFeeds(new Map([...feeds].map(([n, w]) => [n, { type: w.type, dims: w.dims }])), this.manifest.source.inputs);
    const request = ++this.requestCounter;
    const begin = nowMs();
    const values = new Map(feeds);
    const remaining = new Map(this.readers);
    const finals = new Set(this.outputs);
    const partitions = this.manifest.partitions;
    const started = new Set<number>();
    let finished = 0;
    const take = (name: string): WireTensor => {
      const left = remaining.get(name)! - 1;
      remaining.set(name, left);
      const w = values.get(name)!;
      if (left > 0 || finals.has(name)) return copyWire(w);
      values.delete(name);
      return w;
    };
    return new Promise((resolve, reject) => {
      let failed = false;
      const startReady = (): void => {
        for (const p of partitions) {
          if (started.has(p.id) || !p.inputs.every((n) => values.has(n))) continue;
          started.add(p.id);
          this.start(p, p.inputs.map(take), request).then((outputs) => {
            if (failed) return;
            for (const o of outputs) values.set(o.name, o);
            finished++;
            if (finished === partitions.length) {
              this.trace?.async("request", `request ${request}`, begin, nowMs());
              resolve(new Map(this.outputs.map((n) => [n, values.get(n)!])));
            } else startReady();
          }, (e: Error) => {
            if (failed) return;
            failed = true;
            reject(e);
          });
        }
      };
      startReady();
    });
  }

  private async start(p: PartitionSpec, feeds: WireTensor[], request: number): Promise<WireTensor[]> {
    const handle = this.handles.get(p.device)!;
    const bytesIn = feeds.reduce((a, w) => a + wireBytes(w), 0);
    const r = await handle.run(p.id, feeds, p.outputs);
    if (this.trace) {
      const track = `device ${describePlacement(handle.placement)}`;
      this.trace.span(track, `partition ${p.id}`, r.start, r.end, { request, inputs: p.inputs, outputs: p.outputs });
      this.trace.async("transfer", `to ${p.device} p${p.id}`, r.sent, r.received, { bytes: bytesIn, request });
      this.trace.async("transfer", `from ${p.device} p${p.id}`, r.end, r.returned, { bytes: r.outputs.reduce((a, w) => a + wireBytes(w), 0), request });
    }
    return r.outputs;
  }

  /** Busy time and utilisation per device since the last reset. */
  deviceStats(): DeviceStats[] {
    const wall = nowMs() - this.statsSince;
    return this.placements.map((pl) => {
      const h = this.handles.get(pl.device)!;
      return {
        device: pl.device, provider: pl.provider, threads: pl.threads, busyMs: h.busyMs,
        utilisation: wall > 0 ? h.busyMs / wall : 0, restarts: h.restarts,
        partitions: this.manifest.partitions.filter((p) => p.device === pl.device).map((p) => p.id),
      };
    });
  }

  resetStats(): void {
    this.statsSince = nowMs();
    for (const h of this.handles.values()) h.busyMs = 0;
  }

  /** Number of worker threads currently alive (0 after close). */
  get liveWorkers(): number {
    return [...this.handles.values()].filter((h) => h.alive).length;
  }

  /** The handle of a device's worker (tests use it to crash one). */
  worker(device: string): WorkerHandle {
    const h = this.handles.get(device);
    if (!h) throw new RuntimeError(`no device '${device}' (devices: ${[...this.handles.keys()].join(", ")})`);
    return h;
  }

  /** Releases every session and ends every worker thread. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.handles.values()].map((h) => h.close()));
  }
}

/** `loadPackage(pathOrModel, {deviceMap, threads})`: the library entry point. */
export function loadPackage(target: string | Model, options: LoadOptions = {}): Promise<Runtime> {
  return Runtime.load(target, options);
}

export { RuntimeError, InputError };
