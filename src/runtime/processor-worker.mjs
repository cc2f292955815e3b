// @ts-check
// The body of one processor worker thread: it owns the onnxruntime sessions of every partition
// placed on its processor, created with that processor's providers and thread count, and
// runs them one at a time (session.run blocks this thread; other processors run in their own).
// A request's partitions arrive together; each runs once all its inputs are here, whichever
// thread they came from. Outputs go where the load message's routes say: kept here, sent to
// a peer worker, or back to the main thread. Checked JavaScript (`// @ts-check`, the message
// types imported from messages.ts, checked by `tsc --noEmit -p .`): a TypeScript loader would
// cost 0.5-1 s per worker start, and dist/ runs this very file.
/** @import { InferenceSession, Tensor } from "onnxruntime-node" */
/** @import { MessagePort } from "node:worker_threads" */
/** @import { Arrival, FromWorker, IoMeta, OutputRoute, PeerValue, ToWorker, WireTensor, WorkerLoad } from "./messages.ts" */
import { parentPort } from "node:worker_threads";
import { copyWire, fromWire, toWire } from "../../ort/wire.mjs";
import { openSession, quietOnnxruntime } from "../../ort/session.mjs";
import { nowMs } from "./clock.mjs";

if (!parentPort) throw new Error("processor-worker.mjs must run in a worker thread");
const port = parentPort;

// Unavailable providers log native errors before throwing; the main thread reports them once.
quietOnnxruntime();

/** @typedef {{ session: InferenceSession, inputs: string[], outputs: { name: string, route: OutputRoute }[] }} LoadedPartition */
/** @typedef {{ tensor: Tensor, left: number, lent?: ArrayBuffer }} HeldValue */
/** @typedef {{ values: Map<string, HeldValue>, jobs: number[], arrivals: Arrival[], spent: ArrayBuffer[] }} RequestState */

let processor = "?";
/** @type {Map<number, LoadedPartition>} */
const partitions = new Map();
/** @type {Map<string, number>} */
let readers = new Map();
/** @type {Map<string, MessagePort>} */
const peers = new Map();
/**
 * In arrival order, so older requests run first.
 * @type {Map<number, RequestState>}
 */
const requests = new Map();
/** Requests the main thread gave up on; late peer values for them are dropped. @type {Set<number>} */
const forgotten = new Set();
let busy = false;
let closing = false;
let crashOnNextRun = false;
/** @type {Promise<void>} */
let setup = Promise.resolve();

/**
 * @param {FromWorker} message
 * @param {ArrayBuffer[]} [transfer]
 */
function send(message, transfer = []) {
  port.postMessage(message, transfer);
}

/**
 * @param {readonly InferenceSession.ValueMetadata[]} list
 * @returns {IoMeta[]}
 */
function meta(list) {
  return list.map((m) => ({
    name: m.name,
    type: m.isTensor ? m.type : "non-tensor",
    shape: m.isTensor ? m.shape.map((d) => (typeof d === "number" ? d : String(d))) : [],
  }));
}

/** @param {WorkerLoad} message */
async function load(message) {
  processor = message.processor;
  readers = new Map(Object.entries(message.readers));
  const s = message.settings;
  /** @type {InferenceSession.SessionOptions} */
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
      const session = await openSession(p.model, options);
      partitions.set(p.id, { session, inputs: p.inputs, outputs: p.outputs });
      loaded.push({ id: p.id, inputs: meta(session.inputMetadata), outputs: meta(session.outputMetadata) });
    } catch (e) {
      send({ kind: "load-failed", partition: p.id, label: p.label, message: /** @type {Error} */ (e).message });
      return;
    }
  }
  send({ kind: "loaded", sessions: loaded });
}

/**
 * @param {number} request
 * @returns {RequestState}
 */
function entry(request) {
  let r = requests.get(request);
  if (!r) {
    r = { values: new Map(), jobs: [], arrivals: [], spent: [] };
    requests.set(request, r);
  }
  return r;
}

/**
 * @param {number} request
 * @param {WireTensor} w
 * @param {string} from
 * @param {number} sent
 * @param {number} received
 */
function arrive(request, w, from, sent, received) {
  const r = entry(request);
  // Buffers the main thread sent go back to it once read (its pool of input copies).
  r.values.set(w.name, { tensor: fromWire(w), left: readers.get(w.name) ?? 0, lent: from === "main" ? w.data : undefined });
  r.arrivals.push({ name: w.name, from, sent, received, bytes: w.data.byteLength });
}

/** Forgets a failed request, including values that arrive for it later. @param {number} request */
function drop(request) {
  forgotten.add(request);
  requests.delete(request);
}

/** @param {PeerValue} m */
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
    const id = /** @type {number} */ (r.jobs.splice(i, 1)[0]);
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

/**
 * One buffer per destination: copies for all but the last, which takes the original unless it stays here too.
 * @param {string} name
 * @param {Tensor} tensor
 * @param {number} count
 * @param {boolean} keep
 * @returns {WireTensor[]}
 */
function wireCopies(name, tensor, count, keep) {
  const w = toWire(name, tensor);
  return Array.from({ length: count }, (_, i) => (i === count - 1 && !keep ? w : copyWire(w)));
}

/**
 * @param {number} request
 * @param {RequestState} r
 * @param {number} id
 * @returns {Promise<void>}
 */
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
  /** @type {Record<string, Tensor>} */
  const feeds = {};
  for (const n of p.inputs) feeds[n] = /** @type {HeldValue} */ (r.values.get(n)).tensor;
  const start = nowMs();
  let results;
  try {
    results = await p.session.run(feeds);
  } catch (e) {
    send({ kind: "failed", request, partition: id, message: String(/** @type {Error} */ (e).message ?? e).split("\n")[0] });
    drop(request);
    return;
  }
  const end = nowMs();
  for (const n of p.inputs) {
    const v = /** @type {HeldValue} */ (r.values.get(n));
    if (--v.left > 0) continue;
    r.values.delete(n);
    if (v.lent) r.spent.push(v.lent);
  }
  /** @type {WireTensor[]} */
  const toMain = [];
  for (const { name, route } of p.outputs) {
    const tensor = /** @type {Tensor} */ (results[name]);
    const wires = wireCopies(name, tensor, route.peers.length + (route.main ? 1 : 0), route.local);
    if (route.local) r.values.set(name, { tensor, left: readers.get(name) ?? 0 });
    route.peers.forEach((peer, i) => {
      const w = /** @type {WireTensor} */ (wires[i]);
      /** @type {PeerValue} */
      const value = { kind: "value", request, from: processor, sent: nowMs(), tensor: w };
      peers.get(peer)?.postMessage(value, [w.data]);
    });
    if (route.main) toMain.push(/** @type {WireTensor} */ (wires[wires.length - 1]));
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

port.on("message", (/** @type {ToWorker} */ message) => {
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
      peers.get(message.processor)?.close();
      peers.set(message.processor, message.port);
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
