// Runs a long job (a training run) in a worker thread, so the main thread stays free to draw
// progress and answer Ctrl-C. The worker posts progress messages of its own kinds, then one
// `{ type: "done", ... }` or `{ type: "error", message }`; the promise settles once, and a
// worker that dies or exits without either is an error too.
import { Worker } from "node:worker_threads";

type Outcome<Done> = ({ type: "done" } & Done) | { type: "error"; message: string };

export function runTrainingWorker<Done extends object, Progress extends { type: string }>(
  script: URL, workerData: unknown, onProgress: (m: Progress) => void,
): Promise<Done> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData });
    let settled = false;
    const settle = (finish: () => void) => { if (!settled) { settled = true; finish(); } };
    worker.on("message", (m: Progress | Outcome<Done>) => {
      if (m.type === "done") settle(() => { const { type: _done, ...payload } = m as { type: "done" } & Done; resolve(payload as unknown as Done); void worker.terminate(); });
      else if (m.type === "error") settle(() => { reject(new Error(`training failed: ${(m as { message: string }).message}`)); void worker.terminate(); });
      else onProgress(m as Progress);
    });
    worker.on("error", (e) => settle(() => reject(e)));
    worker.on("exit", (code) => settle(() => reject(new Error(`training worker exited with code ${code}`))));
  });
}
