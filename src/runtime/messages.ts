// The protocol between the main thread and a device worker (device-worker.mjs). Tensors travel as plain
// (transferable, never shared) ArrayBuffers: onnxruntime-node rejects SharedArrayBuffer data.

/** A tensor in flight: onnxruntime type name, dims, and the bytes it owns outright. */
export interface WireTensor {
  name: string;
  type: string;
  dims: number[];
  data: ArrayBuffer;
}

export interface PartitionLoad {
  id: number;
  /** A path onnxruntime reads itself (keeps external data next to it), or the model bytes. */
  model: PartitionModel;
  label: string;
}

export interface SessionSettings {
  providers: string[];
  threads: number;
  /**
   * Let idle intra-op threads spin. Each session has its own pool, so with several sessions
   * (or several CPU workers) on the same cores, spinning pools steal the cores the running
   * session needs: spinning stays on only for a lone session on a lone CPU worker.
   */
  spin: boolean;
}

export type ToWorker =
  | { kind: "load"; partitions: PartitionLoad[]; settings: SessionSettings }
  | { kind: "run"; job: number; partition: number; feeds: WireTensor[]; fetches: string[] }
  | { kind: "close" }
  /**
   * Test hook: the worker dies from an uncaught exception, now or in place of its next run (a
   * worker dying mid-request). Killing it from outside with terminate() is not an option while
   * onnxruntime runs: the binding then aborts the whole process.
   */
  | { kind: "crash"; when: "now" | "next-run" };

export interface IoMeta { name: string; type: string; shape: (number | string)[] }

export type FromWorker =
  | { kind: "loaded"; sessions: { id: number; inputs: IoMeta[]; outputs: IoMeta[] }[] }
  | { kind: "load-failed"; partition: number; label: string; message: string }
  /** Times are absolute milliseconds (timeOrigin + now) so they line up across threads. */
  | { kind: "done"; job: number; outputs: WireTensor[]; received: number; start: number; end: number }
  | { kind: "failed"; job: number; message: string }
  | { kind: "closed" };

export { nowMs } from "./wire.mjs";

/**
 * A partition model as a worker opens it: a file onnxruntime reads itself (external data
 * next to it), or bytes plus the external-data files they name (a package built in memory).
 */
export type PartitionModel = { path: string } | { bytes: Uint8Array; externalData?: { path: string; data: Uint8Array }[] };
