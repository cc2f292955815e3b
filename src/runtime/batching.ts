// Dynamic batching: concurrent requests to a model whose inputs and outputs share a symbolic
// batch dimension (dim 0) are concatenated along it, run once, and the outputs split back.
// A fixed policy or the online BatchTuner decides how many rows a batch takes and how long
// the first request may wait for company.
import { SparoaError } from "../../ir/sparoa-error.ts";
import type * as ort from "onnxruntime-node";
import type { Runtime, Feeds } from "./runtime.ts";
import { InputError, checkFeeds } from "./validate-inputs.ts";
import { fromWire } from "../../ort/wire.mjs";
import { nowMs, type WireTensor } from "./messages.ts";
import type { BatchPolicy, BatchTuner } from "./batch-tuner.ts";

export class BatchingError extends SparoaError {
  override name = "BatchingError";
}

interface Pending {
  feeds: Map<string, WireTensor>;
  rows: number;
  enqueued: number;
  resolve: (out: Record<string, ort.Tensor>) => void;
  reject: (e: Error) => void;
}

export interface BatchRecord { rows: number; requests: number; waitMs: number; serviceMs: number }

/** The batch dimension's symbol, or a BatchingError saying why the model cannot be batched. */
export function batchSymbol(runtime: Runtime): string {
  const { inputs, outputs } = runtime.manifest.source;
  let symbol: string | undefined;
  for (const t of [...inputs, ...outputs]) {
    const d = t.shape?.[0];
    const kind = inputs.includes(t) ? "input" : "output";
    if (typeof d !== "string") {
      throw new BatchingError(`${kind} '${t.name}' has no symbolic batch dimension (shape [${t.shape?.map((x) => x ?? "?").join(",") ?? "unknown"}]); dynamic batching needs dim 0 symbolic in every input and output`);
    }
    if (symbol !== undefined && d !== symbol) throw new BatchingError(`${kind} '${t.name}' has dim 0 '${d}', others '${symbol}': no common batch dimension`);
    symbol = d;
  }
  if (!symbol) throw new BatchingError("the model has no inputs to batch");
  return symbol;
}

export class BatchQueue {
  private readonly queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private closed = false;
  readonly history: BatchRecord[] = [];
  readonly symbol: string;

  constructor(private readonly runtime: Runtime, private readonly control: { policy: BatchPolicy } | { tuner: BatchTuner }, private readonly maxInFlight = 2) {
    this.symbol = batchSymbol(runtime);
  }

  get policy(): BatchPolicy {
    return "policy" in this.control ? this.control.policy : this.control.tuner.policy();
  }

  /** Queues one request (any number of rows); resolves with its own slice of the outputs. */
  submit(feeds: Feeds): Promise<Record<string, ort.Tensor>> {
    if (this.closed) return Promise.reject(new BatchingError("the batching queue is closed"));
    try {
      checkFeeds(new Map(Object.entries(feeds).map(([n, t]) => [n, { type: t.type, dims: t.dims }])), this.runtime.manifest.source.inputs);
    } catch (e) {
      return Promise.reject(e);
    }
    const wires = new Map<string, WireTensor>();
    let rows = -1;
    for (const [name, t] of Object.entries(feeds)) {
      const data = t.data;
      if (!ArrayBuffer.isView(data)) return Promise.reject(new InputError(`input '${name}': string tensors cannot be batched`));
      wires.set(name, { name, type: t.type, dims: [...t.dims], data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer });
      rows = t.dims[0]!;
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ feeds: wires, rows, enqueued: nowMs(), resolve, reject });
      this.pump();
    });
  }

  private queuedRows(): number {
    return this.queue.reduce((a, p) => a + p.rows, 0);
  }

  /** Starts a batch when one is full, or when the oldest request has waited long enough. */
  private pump(): void {
    if (this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    const { maxBatch, maxWaitMs } = this.policy;
    const waited = nowMs() - this.queue[0]!.enqueued;
    if (this.queuedRows() >= maxBatch || waited >= maxWaitMs) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.launch(maxBatch);
      this.pump();
      return;
    }
    this.timer ??= setTimeout(() => { this.timer = undefined; this.pump(); }, Math.max(0, maxWaitMs - waited));
  }

  private launch(maxBatch: number): void {
    const batch: Pending[] = [this.queue.shift()!];
    let rows = batch[0]!.rows;
    while (this.queue.length > 0 && rows + this.queue[0]!.rows <= maxBatch) {
      const p = this.queue.shift()!;
      batch.push(p);
      rows += p.rows;
    }
    this.inFlight++;
    const start = nowMs();
    const waitMs = start - batch[0]!.enqueued;
    this.runtime.trace?.async("queue", `batch of ${rows}`, batch[0]!.enqueued, start, { requests: batch.length, rows });
    this.runtime.runWire(concat(batch.map((p) => p.feeds), rows)).then((out) => {
      const end = nowMs();
      const serviceMs = end - start;
      const parts = split(out, batch.map((p) => p.rows));
      batch.forEach((p, i) => p.resolve(Object.fromEntries([...parts[i]!].map(([n, w]) => [n, fromWire(w)]))));
      this.history.push({ rows, requests: batch.length, waitMs, serviceMs });
      if ("tuner" in this.control) this.control.tuner.record(rows, serviceMs, batch.map((p) => end - p.enqueued));
    }, (e: Error) => {
      for (const p of batch) p.reject(e);
    }).finally(() => {
      this.inFlight--;
      this.pump();
    });
  }

  /** Refuses new requests; queued ones still run. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.queue.length > 0 || this.inFlight > 0) {
      if (this.queue.length > 0 && this.inFlight < this.maxInFlight) this.launch(this.policy.maxBatch);
      await new Promise((r) => setTimeout(r, 1));
    }
  }
}

/** Concatenates each input along dim 0. */
export function concat(requests: Map<string, WireTensor>[], rows: number): Map<string, WireTensor> {
  if (requests.length === 1) return requests[0]!;
  const out = new Map<string, WireTensor>();
  for (const [name, first] of requests[0]!) {
    const total = requests.reduce((a, r) => a + r.get(name)!.data.byteLength, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const r of requests) {
      const d = new Uint8Array(r.get(name)!.data);
      bytes.set(d, at);
      at += d.byteLength;
    }
    out.set(name, { name, type: first.type, dims: [rows, ...first.dims.slice(1)], data: bytes.buffer });
  }
  return out;
}

/** Splits each output along dim 0 into the given row counts. */
export function split(outputs: Map<string, WireTensor>, rows: number[]): Map<string, WireTensor>[] {
  const total = rows.reduce((a, b) => a + b, 0);
  const parts = rows.map(() => new Map<string, WireTensor>());
  for (const [name, w] of outputs) {
    if (w.dims[0] !== total) throw new BatchingError(`output '${name}' has ${w.dims[0]} rows for a batch of ${total}: the model does not keep the batch dimension`);
    const perRow = w.data.byteLength / total;
    let at = 0;
    rows.forEach((r, i) => {
      parts[i]!.set(name, { name, type: w.type, dims: [r, ...w.dims.slice(1)], data: w.data.slice(at * perRow, (at + r) * perRow) });
      at += r;
    });
  }
  return parts;
}
