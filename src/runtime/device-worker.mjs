// The body of one device worker thread: it owns the onnxruntime sessions of every partition
// placed on its logical device, created with that device's providers and thread count, and
// runs them one at a time (session.run blocks this thread; other devices run in their own).
// A request's partitions arrive together; each runs once all its inputs are here, whichever
// thread they came from. Outputs go where the load message's routes say: kept here, sent to
// a peer worker, or back to the main thread. Plain JS, like wire.mjs: a TypeScript loader
// would cost 0.5-1 s per worker start. The messages are typed in messages.ts.
import { parentPort } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import { copyWire, fromWire, nowMs, toWire } from "./wire.mjs";

const port = parentPort;
if (!port) throw new Error("device-worker.mjs must run in a worker thread");

// Unavailable providers log native errors before throwing; the main thread reports them once.
ort.env.logLevel = "fatal";

let device = "?";
/** @type {Map<number, {session: ort.InferenceSession, inputs: string[], outputs: {name: string, route: {local: boolean, peers: string[], main: boolean}}[]}>} */
const partitions = new Map();
/** @type {Map<string, number>} */
let readers = new Map();
/** @type {Map<string, MessagePort>} */
const peers = new Map();
/**
 * In arrival order, so older requests run first.
 * @type {Map<number, {values: Map<string, {tensor: ort.Tensor, left: number, lent?: ArrayBuffer}>, jobs: number[], arrivals: object[], spent: ArrayBuffer[]}>}
 */
const requests = new Map();
/** Requests the main thread gave up on; late peer values for them are dropped. */
const forgotten = new Set();
let busy = false;
let closing = false;
let crashOnNextRun = false;
let setup = Promise.resolve();

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

async function load(message) {
  device = message.device;
  readers = new Map(Object.entries(message.readers));
  const s = message.settings;
  const options = {
    executionProviders: s.providers,
    intraOpNumThreads: s.threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    logSeverityLevel: 4, // failures come back to the main thread as one-line errors
    extra: { session: { intra_op: { allow_spinning: s.spin ? "1" : "0" }, force_spinning_stop: message.partitions.length > 1 ? "1" : "0" } },
  };
  const loaded = [];
  for (const p of message.partitions) {
    try {
      const session = "path" in p.model
        ? await ort.InferenceSession.create(p.model.path, options)
        : await ort.InferenceSession.create(p.model.bytes, p.model.externalData ? { ...options, externalData: p.model.externalData } : options);
      partitions.set(p.id, { session, inputs: p.inputs, outputs: p.outputs });
      loaded.push({ id: p.id, inputs: meta(session.inputMetadata), outputs: meta(session.outputMetadata) });
    } catch (e) {
      send({ kind: "load-failed", partition: p.id, label: p.label, message: e.message });
      return;
    }
  }
  send({ kind: "loaded", sessions: loaded });
}

function entry(request) {
  let r = requests.get(request);
  if (!r) {
    r = { values: new Map(), jobs: [], arrivals: [], spent: [] };
    requests.set(request, r);
  }
  return r;
}

function arrive(request, w, from, sent, received) {
  const r = entry(request);
  // Buffers the main thread sent go back to it once read (its pool of input copies).
  r.values.set(w.name, { tensor: fromWire(w), left: readers.get(w.name) ?? 0, lent: from === "main" ? w.data : undefined });
  r.arrivals.push({ name: w.name, from, sent, received, bytes: w.data.byteLength });
}

/** Forgets a failed request, including values that arrive for it later. */
function drop(request) {
  forgotten.add(request);
  requests.delete(request);
}

function onPeerValue(m) {
  const received = nowMs();
  if (forgotten.has(m.request) || closing) return;
  arrive(m.request, m.tensor, m.from, m.sent, received);
  pump();
}

/** Starts the oldest job whose inputs are all here, unless a run is under way. */
function pump() {
  if (busy || closing) return;
  for (const [request, r] of requests) {
    const i = r.jobs.findIndex((id) => partitions.get(id)?.inputs.every((n) => r.values.has(n)) ?? true);
    if (i < 0) continue;
    const [id] = r.jobs.splice(i, 1);
    busy = true;
    runJob(request, r, id).catch((e) => {
      // Past the run itself (an output that cannot travel, say): fail the request, keep the worker.
      send({ kind: "failed", request, partition: id, message: String(e?.message ?? e).split("\n")[0] });
      drop(request);
    }).finally(() => {
      busy = false;
      if (r.jobs.length === 0) requests.delete(request);
      pump();
    });
    return;
  }
}

/** One buffer per destination: copies for all but the last, which takes the original unless it stays here too. */
function wireCopies(name, tensor, count, keep) {
  const w = toWire(name, tensor);
  return Array.from({ length: count }, (_, i) => (i === count - 1 && !keep ? w : copyWire(w)));
}

async function runJob(request, r, id) {
  if (crashOnNextRun) {
    // An uncaught exception ends this worker with exit code 1, as a failure in native code would.
    setImmediate(() => { throw new Error("worker crash requested during a run (test hook)"); });
    return new Promise(() => {});
  }
  const p = partitions.get(id);
  if (!p) {
    send({ kind: "failed", request, partition: id, message: `partition ${id} has no session on this worker` });
    drop(request);
    return;
  }
  const feeds = {};
  for (const n of p.inputs) feeds[n] = r.values.get(n).tensor;
  const start = nowMs();
  let results;
  try {
    results = await p.session.run(feeds);
  } catch (e) {
    send({ kind: "failed", request, partition: id, message: String(e.message ?? e).split("\n")[0] });
    drop(request);
    return;
  }
  const end = nowMs();
  for (const n of p.inputs) {
    const v = r.values.get(n);
    if (--v.left > 0) continue;
    r.values.delete(n);
    if (v.lent) r.spent.push(v.lent);
  }
  const toMain = [];
  for (const { name, route } of p.outputs) {
    const tensor = results[name];
    const wires = wireCopies(name, tensor, route.peers.length + (route.main ? 1 : 0), route.local);
    if (route.local) r.values.set(name, { tensor, left: readers.get(name) ?? 0 });
    route.peers.forEach((peer, i) => {
      const w = wires[i];
      peers.get(peer)?.postMessage({ kind: "value", request, from: device, sent: nowMs(), tensor: w }, [w.data]);
    });
    if (route.main) toMain.push(wires[wires.length - 1]);
  }
  const { arrivals, spent } = r;
  r.arrivals = [];
  r.spent = [];
  send({ kind: "done", request, partition: id, outputs: toMain, start, end, sent: nowMs(), arrivals, spent }, [...toMain.map((w) => w.data), ...spent]);
}

async function close() {
  for (const p of partitions.values()) await p.session.release();
  partitions.clear();
  for (const peer of peers.values()) peer.close();
  send({ kind: "closed" });
  port.close();
}

port.on("message", (message) => {
  const received = nowMs();
  switch (message.kind) {
    case "crash":
      if (message.when === "now") setImmediate(() => { throw new Error("worker crash requested (test hook)"); });
      else crashOnNextRun = true;
      return;
    case "held":
      send({ kind: "held", requests: requests.size, values: [...requests.values()].reduce((a, r) => a + r.values.size, 0) });
      return;
    case "load":
      setup = setup.then(() => load(message));
      return;
    case "peer": {
      peers.get(message.device)?.close();
      peers.set(message.device, message.port);
      message.port.on("message", onPeerValue);
      return;
    }
    case "request": {
      if (closing) return;
      const r = entry(message.request);
      for (const w of message.feeds) arrive(message.request, w, "main", message.sent, received);
      r.jobs.push(...message.partitions);
      setup.then(pump);
      return;
    }
    case "forget":
      drop(message.request);
      return;
    case "close":
      closing = true; // skip queued runs: the main thread has failed their requests
      requests.clear();
      setup = setup.then(async () => {
        while (busy) await new Promise((r) => setImmediate(r));
        await close();
      });
      return;
  }
});
