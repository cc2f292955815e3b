// The body of one device worker thread: it owns the onnxruntime sessions of every partition
// placed on its logical device, created with that device's providers and thread count, and
// runs them one at a time (session.run blocks this thread; other devices run in their own).
import { parentPort } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import { nowMs, type FromWorker, type IoMeta, type SessionSettings, type ToWorker, type WireTensor } from "./messages.ts";
import { toWire, fromWire } from "./wire.ts";

const port = parentPort;
if (!port) throw new Error("device-worker.ts must run in a worker thread");

// Unavailable providers log native errors before throwing; the main thread reports them once.
ort.env.logLevel = "fatal";

const sessions = new Map<number, ort.InferenceSession>();
let chain: Promise<void> = Promise.resolve();
let closing = false;
let crashOnNextRun = false;

function send(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function meta(list: readonly ort.InferenceSession.ValueMetadata[]): IoMeta[] {
  return list.map((m) => ({
    name: m.name,
    type: m.isTensor ? m.type : "non-tensor",
    shape: m.isTensor ? m.shape.map((d) => (typeof d === "number" ? d : String(d))) : [],
  }));
}

async function load(partitions: Extract<ToWorker, { kind: "load" }>["partitions"], settings: SessionSettings): Promise<void> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: settings.providers,
    intraOpNumThreads: settings.threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    logSeverityLevel: 3,
  };
  const loaded = [];
  for (const p of partitions) {
    try {
      const session = "path" in p.model
        ? await ort.InferenceSession.create(p.model.path, options)
        : await ort.InferenceSession.create(p.model.bytes, options);
      sessions.set(p.id, session);
      loaded.push({ id: p.id, inputs: meta(session.inputMetadata), outputs: meta(session.outputMetadata) });
    } catch (e) {
      send({ kind: "load-failed", partition: p.id, label: p.label, message: (e as Error).message });
      return;
    }
  }
  send({ kind: "loaded", sessions: loaded });
}

async function run(job: number, partition: number, feeds: WireTensor[], fetches: string[], received: number): Promise<void> {
  if (closing) return; // the main thread has already failed this job
  if (crashOnNextRun) setImmediate(() => { throw new Error("worker crash requested during a run (test hook)"); });
  if (crashOnNextRun) return;
  const session = sessions.get(partition);
  if (!session) {
    send({ kind: "failed", job, message: `partition ${partition} has no session on this worker` });
    return;
  }
  const inputs: Record<string, ort.Tensor> = {};
  for (const f of feeds) inputs[f.name] = fromWire(f);
  const start = nowMs();
  let results: ort.InferenceSession.ReturnType;
  try {
    results = await session.run(inputs, fetches);
  } catch (e) {
    send({ kind: "failed", job, message: (e as Error).message.split("\n")[0]! });
    return;
  }
  const end = nowMs();
  const outputs = fetches.map((name) => toWire(name, results[name]!));
  send({ kind: "done", job, outputs, received, start, end }, outputs.map((o) => o.data));
}

async function close(): Promise<void> {
  for (const s of sessions.values()) await s.release();
  sessions.clear();
  send({ kind: "closed" });
  port!.close();
}

port.on("message", (message: ToWorker) => {
  const received = nowMs();
  if (message.kind === "crash") {
    // An uncaught exception ends this worker with exit code 1, as a failure in native code would.
    if (message.when === "now") setImmediate(() => { throw new Error("worker crash requested (test hook)"); });
    else crashOnNextRun = true;
    return;
  }
  if (message.kind === "close") closing = true; // skip queued runs: their requests were failed
  // One job at a time, in arrival order: the device is busy while a session runs.
  chain = chain.then(() => {
    switch (message.kind) {
      case "load": return load(message.partitions, message.settings);
      case "run": return run(message.job, message.partition, message.feeds, message.fetches, received);
      case "close": return close();
    }
  });
});
