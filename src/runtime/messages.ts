// The protocol between the main thread, the processor workers (processor-worker.mjs) and workers
// among themselves. Tensors travel as plain (transferable, never shared) ArrayBuffers:
// onnxruntime-node rejects SharedArrayBuffer data.
//
// A request is dispatched whole: every worker gets its partitions' ids and the model inputs it
// reads in one message, then runs each partition as soon as its inputs are there. A value
// read on the processor that made it stays there; a value another processor reads goes straight to
// that worker over a peer port; only the model's outputs come back to the main thread. The
// main thread is thus off the path between partitions (each thread hop costs 0.1-0.3 ms here).
//
// The worker (processor-worker.mjs, checked JavaScript) imports these types with JSDoc `@import`,
// so `tsc --noEmit -p .` checks both sides against this one definition.
import type { MessagePort } from "node:worker_threads";
import type { WireTensor } from "../../ort/wire.mjs";
import type { SessionSource } from "../../ort/session.mjs";

/** A tensor in flight (ort/wire.mjs): onnxruntime type name, dims, and the bytes it owns outright. */
export type { WireTensor };

/** Where one partition output goes once it exists. */
export interface OutputRoute {
  /** Partitions on the same worker read it: it stays there as an onnxruntime tensor. */
  local: boolean;
  /** Processors whose workers read it (each gets its own buffer over a peer port). */
  peers: string[];
  /** A model output: it goes back to the main thread. */
  main: boolean;
}

export interface PartitionLoad {
  id: number;
  /** A path onnxruntime reads itself (keeps external data next to it), or the model bytes. */
  model: PartitionModel;
  label: string;
  inputs: string[];
  outputs: { name: string; route: OutputRoute }[];
}

export interface SessionSettings {
  providers: string[];
  threads: number;
  /**
   * Let intra-op threads spin. Each session has its own pool, so with several CPU workers on
   * the same cores spinning pools steal the cores another worker needs: off then. A lone CPU
   * worker (or a GPU worker) spins; one holding several sessions stops each pool spinning when
   * its run returns (session.force_spinning_stop), so idle pools leave the cores alone.
   */
  spin: boolean;
}

export interface WorkerLoad {
  kind: "load";
  processor: string;
  partitions: PartitionLoad[];
  settings: SessionSettings;
  /** How many of this worker's partitions read each value: it is dropped after the last. */
  readers: Record<string, number>;
}

export type ToWorker =
  | WorkerLoad
  /** A port to another processor's worker (sent again when that worker is replaced). */
  | { kind: "peer"; processor: string; port: MessagePort }
  /** Run these partitions (topological order) for `request`; `feeds` are the model inputs they read. */
  | { kind: "request"; request: number; partitions: number[]; feeds: WireTensor[]; sent: number }
  /** Drop everything held for a failed request, including values that arrive later. */
  | { kind: "forget"; request: number }
  | { kind: "close" }
  /**
   * Test hook: the worker dies from an uncaught exception, now or in place of its next run (a
   * worker dying mid-request). Killing it from outside with terminate() is not an option while
   * onnxruntime runs: the binding then aborts the whole process.
   */
  | { kind: "crash"; when: "now" | "next-run" }
  /** Test hook: how many requests and values the worker still holds (answered with "held"). */
  | { kind: "held" };

/** Worker to worker, over a peer port. */
export interface PeerValue { kind: "value"; request: number; from: string; sent: number; tensor: WireTensor }

export interface IoMeta { name: string; type: string; shape: (number | string)[] }

/** A value that reached a worker for a request (from the main thread or a peer). Times in ms. */
export interface Arrival { name: string; from: string; sent: number; received: number; bytes: number }

export type FromWorker =
  | { kind: "loaded"; sessions: { id: number; inputs: IoMeta[]; outputs: IoMeta[] }[] }
  | { kind: "load-failed"; partition: number; label: string; message: string }
  /**
   * One partition finished. Times are absolute milliseconds (timeOrigin + now) so they line up
   * across threads; `arrivals` are the values this worker received for the request since its
   * last report; `outputs` the model outputs among the partition's outputs; `spent` the
   * buffers of model inputs no partition here reads any more, handed back for reuse.
   */
  | { kind: "done"; request: number; partition: number; outputs: WireTensor[]; start: number; end: number; sent: number; arrivals: Arrival[]; spent: ArrayBuffer[] }
  | { kind: "failed"; request: number; partition: number; message: string }
  | { kind: "held"; requests: number; values: number }
  | { kind: "closed" };

export { nowMs } from "./clock.mjs";

/**
 * A partition model as a worker opens it: a file onnxruntime reads itself (external data
 * next to it), or bytes plus the external-data files they name (a package built in memory).
 */
export type PartitionModel = SessionSource;
