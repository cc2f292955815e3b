// The one place the scheduler loads TensorFlow.js. The full @tensorflow/tfjs package is imported
// (core + layers alone leave the chained tensor methods unregistered in plain Node ESM, see
// ../shared/field-notes.md "Learning in Node"), and the wasm backend is selected: single-threaded,
// SIMD, about 9 ms per SAC update and 0.06 ms per action here. Selecting a backend is
// asynchronous, so callers await `schedulerBackend()` once before any synchronous planning call.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";

export { tf };

let ready: Promise<string> | undefined;

/** Selects the wasm backend (the cpu backend when wasm cannot start); resolves to its name. */
export function schedulerBackend(): Promise<string> {
  ready ??= (async () => {
    try {
      if (await tf.setBackend("wasm")) { await tf.ready(); return tf.getBackend(); }
    } catch {
      // fall through to the pure-JavaScript backend
    }
    await tf.setBackend("cpu");
    await tf.ready();
    return tf.getBackend();
  })();
  return ready;
}

/** True once schedulerBackend() has resolved (synchronous planning calls check this). */
export function backendReady(): boolean {
  const name = tf.getBackend();
  return name === "wasm" || name === "cpu";
}
