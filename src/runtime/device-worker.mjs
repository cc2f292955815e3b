// The body of one device worker thread: it owns the onnxruntime sessions of every partition
// placed on its logical device, created with that device's providers and thread count, and
// runs them one at a time (session.run blocks this thread; other devices run in their own).
// Plain JS, like wire.mjs: a TypeScript loader would cost 0.5-1 s per worker start. The
// messages it speaks are typed in messages.ts (ToWorker in, FromWorker out).
import { parentPort } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import { fromWire, nowMs, toWire } from "./wire.mjs";

const port = parentPort;
if (!port) throw new Error("device-worker.mjs must run in a worker thread");

// Unavailable providers log native errors before throwing; the main thread reports them once.
ort.env.logLevel = "fatal";

/** @type {Map<number, ort.InferenceSession>} */
const sessions = new Map();
let chain = Promise.resolve();
let closing = false;
let crashOnNextRun = false;

function send(message, transfer = []) {
  port.postMessage(message, transfer);
}

function meta(list) {
  return list.map((m) => ({
    name: m.name,
    type: m.isTensor ? m.type : "non-tensor",
    shape: m.isTensor ? m.shape.map((d) => (typeof d === "number" ? d : String(d))) : [],
  }));
}

async function load(partitions, settings) {
  const options = {
    executionProviders: settings.providers,
    intraOpNumThreads: settings.threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    logSeverityLevel: 4, // failures come back to the main thread as one-line errors
    extra: { session: { intra_op: { allow_spinning: settings.spin ? "1" : "0" } } },
  };
  const loaded = [];
  for (const p of partitions) {
    try {
      const session = "path" in p.model
        ? await ort.InferenceSession.create(p.model.path, options)
        : await ort.InferenceSession.create(p.model.bytes, p.model.externalData ? { ...options, externalData: p.model.externalData } : options);
      sessions.set(p.id, session);
      loaded.push({ id: p.id, inputs: meta(session.inputMetadata), outputs: meta(session.outputMetadata) });
    } catch (e) {
      send({ kind: "load-failed", partition: p.id, label: p.label, message: e.message });
      return;
    }
  }
  send({ kind: "loaded", sessions: loaded });
}

async function run(job, partition, feeds, fetches, received) {
  if (closing) return; // the main thread has already failed this job
  if (crashOnNextRun) {
    setImmediate(() => { throw new Error("worker crash requested during a run (test hook)"); });
    return;
  }
  const session = sessions.get(partition);
  if (!session) {
    send({ kind: "failed", job, message: `partition ${partition} has no session on this worker` });
    return;
  }
  const inputs = {};
  for (const f of feeds) inputs[f.name] = fromWire(f);
  const start = nowMs();
  let results;
  try {
    results = await session.run(inputs, fetches);
  } catch (e) {
    send({ kind: "failed", job, message: e.message.split("\n")[0] });
    return;
  }
  const end = nowMs();
  const outputs = fetches.map((name) => toWire(name, results[name]));
  send({ kind: "done", job, outputs, received, start, end }, outputs.map((o) => o.data));
}

async function close() {
  for (const s of sessions.values()) await s.release();
  sessions.clear();
  send({ kind: "closed" });
  port.close();
}

port.on("message", (message) => {
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
