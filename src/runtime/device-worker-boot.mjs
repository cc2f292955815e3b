// Worker bootstrap: the device worker is TypeScript, and a worker thread does not inherit the
// tsx loader the main thread registered (nor honour `--import` in execArgv on Node 20), so it
// registers tsx itself before importing the worker body.
import { register } from "tsx/esm/api";
register();
await import("./device-worker.ts");
