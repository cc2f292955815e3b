// The main thread's handle on one processor worker: starts it, loads its sessions, dispatches
// requests and passes back what the worker reports on each. When the worker dies its
// in-flight requests fail with an error naming the processor and partition, and a fresh worker
// is started with the same sessions (the runtime reconnects its peer ports).
import { SparoaError } from "../../ir/sparoa-error.ts";
import { Worker, type MessagePort } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { nowMs, type FromWorker, type IoMeta, type ToWorker, type WireTensor, type WorkerLoad } from "./messages.ts";
import type { ProcessorPlacement } from "./processor-placement.ts";
import { firstCause } from "../../ort/providers.ts";
import { unavailableMessage } from "./processor-placement.ts";

const WORKER = fileURLToPath(new URL("./processor-worker.mjs", import.meta.url));

export class RuntimeError extends SparoaError {
  override name = "RuntimeError";
}

export type DoneMessage = Extract<FromWorker, { kind: "done" }>;

/** What the runtime hears about one request on this worker. */
export interface RequestListener {
  done(message: DoneMessage, returned: number): void;
  failed(error: Error): void;
}

interface InFlight { partitions: number[]; finished: Set<number>; listener: RequestListener }

export interface SessionInfo { inputs: IoMeta[]; outputs: IoMeta[] }

export class WorkerHandle {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private readonly inFlight = new Map<number, InFlight>();
  private closing = false;
  /** Milliseconds spent inside session.run since the last reset (for utilisation). */
  busyMs = 0;
  restarts = 0;
  readonly sessions = new Map<number, SessionInfo>();
  /** Called after a crash, once the replacement is ready or has failed. */
  onRestart: ((error: Error | undefined) => void) | undefined;
  /** Called with every new worker thread, before any request reaches it (the runtime connects peers). */
  onSpawn: ((handle: WorkerHandle) => void) | undefined;

  constructor(readonly placement: ProcessorPlacement, private readonly load: Omit<WorkerLoad, "kind">) {}

  get processor(): string {
    return this.placement.processor;
  }

  get alive(): boolean {
    return this.worker !== undefined;
  }

  get threadId(): number | undefined {
    return this.worker?.threadId;
  }

  start(): Promise<void> {
    this.ready = this.spawn();
    return this.ready;
  }

  /** Posts to the current worker thread, if there is one. */
  post(message: ToWorker, transfer: readonly (ArrayBuffer | MessagePort)[] = []): void {
    this.worker?.postMessage(message, transfer);
  }

  private spawn(): Promise<void> {
    const worker = new Worker(WORKER, { name: `sparoa-${this.processor}` });
    this.worker = worker;
    const ready = new Promise<void>((resolve, reject) => {
      let loaded = false;
      worker.on("message", (m: FromWorker) => {
        switch (m.kind) {
          case "loaded":
            for (const s of m.sessions) this.sessions.set(s.id, { inputs: s.inputs, outputs: s.outputs });
            loaded = true;
            resolve();
            break;
          case "load-failed":
            reject(new RuntimeError(this.loadFailure(m.label, m.message)));
            void this.terminate();
            break;
          case "done": {
            const f = this.inFlight.get(m.request);
            if (!f) break;
            this.busyMs += m.end - m.start;
            f.finished.add(m.partition);
            if (f.finished.size === f.partitions.length) this.inFlight.delete(m.request);
            f.listener.done(m, nowMs());
            break;
          }
          case "failed": {
            const f = this.inFlight.get(m.request);
            if (!f) break;
            this.inFlight.delete(m.request);
            f.listener.failed(new RuntimeError(`partition ${m.partition} on processor '${this.processor}' failed: ${m.message}`));
            break;
          }
          case "held":
            this.heldReply?.({ requests: m.requests, values: m.values });
            this.heldReply = undefined;
            break;
          case "closed": break;
        }
      });
      worker.on("error", (e: Error) => { if (!loaded) reject(new RuntimeError(`processor worker '${this.processor}' failed to start: ${e.message}`)); this.died(worker, e.message, loaded); });
      worker.on("exit", (code) => { if (!loaded) reject(new RuntimeError(`processor worker '${this.processor}' exited while loading (code ${code})`)); this.died(worker, `exit code ${code}`, loaded); });
      this.post({ kind: "load", ...this.load });
    });
    this.onSpawn?.(this);
    return ready;
  }

  private loadFailure(label: string, message: string): string {
    const first = message.split("\n")[0]!;
    if (this.placement.provider !== "cpu" && /provider|shared library|adapter|backend/i.test(first)) {
      return `${label}: ${unavailableMessage(this.placement.processor, this.placement.provider, firstCause(first))}`;
    }
    return `${label}: onnxruntime cannot load it on processor '${this.placement.processor}' (${first})`;
  }

  /** A worker that ended without being asked: fail its requests, then start a replacement. */
  private died(worker: Worker, why: string, loaded: boolean): void {
    if (this.worker !== worker) return; // already handled (error is followed by exit)
    this.worker = undefined;
    const requests = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const f of requests) {
      const partition = f.partitions.find((id) => !f.finished.has(id));
      f.listener.failed(new RuntimeError(this.closing
        ? "the runtime was closed before this request finished"
        : `processor worker '${this.processor}' died while running partition ${partition} (${why}); the request failed, the worker is being restarted`));
    }
    if (this.closing || !loaded) return; // a worker that never loaded would fail the same way again
    this.restarts++;
    this.ready = this.spawn();
    this.ready.then(() => this.onRestart?.(undefined), (e: Error) => this.onRestart?.(e));
  }

  /** Hands a request's partitions on this processor (topological order) and the model inputs they read to the worker. */
  async dispatch(request: number, partitions: number[], feeds: WireTensor[], listener: RequestListener): Promise<void> {
    if (this.closing) throw new RuntimeError("the runtime is closed");
    await this.ready;
    if (this.closing) throw new RuntimeError("the runtime was closed before this request finished");
    if (!this.worker) throw new RuntimeError(`processor worker '${this.processor}' is not running`);
    this.inFlight.set(request, { partitions, finished: new Set(), listener });
    this.post({ kind: "request", request, partitions, feeds, sent: nowMs() }, feeds.map((f) => f.data));
  }

  /** Drops whatever the worker holds for a request that failed elsewhere. */
  forget(request: number): void {
    if (this.inFlight.delete(request)) this.post({ kind: "forget", request });
  }

  private heldReply: ((held: { requests: number; values: number }) => void) | undefined;

  /** Test hook: the requests and values the worker holds right now (0 and 0 when idle). */
  held(): Promise<{ requests: number; values: number }> {
    return new Promise((resolve) => {
      this.heldReply = resolve;
      this.post({ kind: "held" });
    });
  }

  /** Test hook: the worker dies from an uncaught exception, now or in place of its next run. */
  crashForTest(when: "now" | "next-run"): void {
    this.worker?.postMessage({ kind: "crash", when } satisfies ToWorker);
  }

  /**
   * Releases the sessions and ends the thread. A partition already running finishes first:
   * terminating a worker inside onnxruntime's run aborts the process, so terminate() is only
   * the last resort for a worker that stays silent far longer than any run.
   */
  async close(timeoutMs = 60_000): Promise<void> {
    this.closing = true;
    const requests = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const f of requests) f.listener.failed(new RuntimeError("the runtime was closed before this request finished"));
    await this.ready?.catch(() => undefined);
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    worker.postMessage({ kind: "close" } satisfies ToWorker);
    const timer = setTimeout(() => void worker.terminate(), timeoutMs);
    await exited;
    clearTimeout(timer);
    this.worker = undefined;
  }

  private async terminate(): Promise<void> {
    this.closing = true;
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}
