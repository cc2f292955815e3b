// The main thread's handle on one device worker: starts it, loads its sessions, sends jobs and
// matches replies. When the worker dies its in-flight jobs fail with an error naming the device
// and partition, and a fresh worker is started with the same sessions.
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { nowMs, type FromWorker, type IoMeta, type PartitionLoad, type ToWorker, type WireTensor } from "./messages.ts";
import type { DevicePlacement } from "./providers.ts";
import { firstCause, unavailableMessage } from "./providers.ts";

const BOOT = fileURLToPath(new URL("./device-worker-boot.mjs", import.meta.url));

export class RuntimeError extends Error {
  override name = "RuntimeError";
}

export interface JobResult { outputs: WireTensor[]; sent: number; received: number; start: number; end: number; returned: number }

interface Pending { partition: number; sent: number; resolve: (r: JobResult) => void; reject: (e: Error) => void }

export interface SessionInfo { inputs: IoMeta[]; outputs: IoMeta[] }

export class WorkerHandle {
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextJob = 1;
  private closing = false;
  /** Milliseconds spent inside session.run since the last reset (for utilisation). */
  busyMs = 0;
  restarts = 0;
  readonly sessions = new Map<number, SessionInfo>();
  /** Called after a crash, once the replacement is ready or has failed. */
  onRestart: ((error: Error | undefined) => void) | undefined;

  constructor(readonly placement: DevicePlacement, private readonly partitions: PartitionLoad[]) {}

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

  private spawn(): Promise<void> {
    const worker = new Worker(BOOT, { name: `sparoa-${this.placement.device}` });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
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
            const p = this.pending.get(m.job);
            if (!p) break;
            this.pending.delete(m.job);
            this.busyMs += m.end - m.start;
            p.resolve({ outputs: m.outputs, sent: p.sent, received: m.received, start: m.start, end: m.end, returned: nowMs() });
            break;
          }
          case "failed": {
            const p = this.pending.get(m.job);
            if (!p) break;
            this.pending.delete(m.job);
            p.reject(new RuntimeError(`partition ${p.partition} on device '${this.placement.device}' failed: ${m.message}`));
            break;
          }
          case "closed": break;
        }
      });
      worker.on("error", (e: Error) => { if (!loaded) reject(new RuntimeError(`device worker '${this.placement.device}' failed to start: ${e.message}`)); this.died(worker, e.message, loaded); });
      worker.on("exit", (code) => { if (!loaded) reject(new RuntimeError(`device worker '${this.placement.device}' exited while loading (code ${code})`)); this.died(worker, `exit code ${code}`, loaded); });
      const message: ToWorker = { kind: "load", partitions: this.partitions, settings: { providers: [this.placement.provider], threads: this.placement.threads } };
      worker.postMessage(message);
    });
  }

  private loadFailure(label: string, message: string): string {
    const first = message.split("\n")[0]!;
    if (this.placement.provider !== "cpu" && /provider|shared library|adapter|backend/i.test(first)) {
      return `${label}: ${unavailableMessage(this.placement.device, this.placement.provider, firstCause(first))}`;
    }
    return `${label}: onnxruntime cannot load it on device '${this.placement.device}' (${first})`;
  }

  /** A worker that ended without being asked: fail its jobs, then start a replacement. */
  private died(worker: Worker, why: string, loaded: boolean): void {
    if (this.worker !== worker) return; // already handled (error is followed by exit)
    this.worker = undefined;
    const jobs = [...this.pending.values()];
    this.pending.clear();
    for (const p of jobs) {
      p.reject(new RuntimeError(`device worker '${this.placement.device}' died while running partition ${p.partition} (${why}); the request failed, the worker is being restarted`));
    }
    if (this.closing || !loaded) return; // a worker that never loaded would fail the same way again
    this.restarts++;
    this.ready = this.spawn();
    this.ready.then(() => this.onRestart?.(undefined), (e: Error) => this.onRestart?.(e));
  }

  async run(partition: number, feeds: WireTensor[], fetches: string[]): Promise<JobResult> {
    if (this.closing) throw new RuntimeError("the runtime is closed");
    await this.ready;
    const worker = this.worker;
    if (!worker) throw new RuntimeError(`device worker '${this.placement.device}' is not running`);
    const job = this.nextJob++;
    return new Promise<JobResult>((resolve, reject) => {
      const sent = nowMs();
      this.pending.set(job, { partition, sent, resolve, reject });
      const message: ToWorker = { kind: "run", job, partition, feeds, fetches };
      worker.postMessage(message, feeds.map((f) => f.data));
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
    for (const p of this.pending.values()) p.reject(new RuntimeError("the runtime was closed before this request finished"));
    this.pending.clear();
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
