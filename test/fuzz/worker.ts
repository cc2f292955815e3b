// The fuzz runner's worker process: runs `sparoa` commands in process (no second of start-up per
// run) as the parent asks, and checks with onnxruntime every package an optimize run wrote (and
// the input model it accepted). The parent owns timeouts, memory limits and the file checks, so
// a hanging or exploding case only costs this process, which the parent then replaces.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { runSparoaInProcess } from "../support/cli-in-process.ts";

export interface WorkerRequest { id: number; args: string[]; checkPackage?: string; checkInput?: string }
export interface WorkerReply {
  id: number; code: number; internal: boolean; firstError?: string; stack?: string;
  /** optimize wrote a package: whether onnxruntime loads every model in it. */
  packageLoads?: boolean; packageProblem?: string;
  /** optimize accepted the input: whether onnxruntime loads the input model itself. */
  inputLoads?: boolean;
}

async function ortLoads(file: string): Promise<string | undefined> {
  try {
    const s = await ort.InferenceSession.create(file, { logSeverityLevel: 4, graphOptimizationLevel: "disabled" });
    await s.release();
    return undefined;
  } catch (e) {
    return (e as Error).message.split("\n")[0]!.slice(0, 300);
  }
}

async function checkPackage(dir: string): Promise<string | undefined> {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { partitions: { file: string }[] };
  const files = manifest.partitions.map((p) => join(dir, p.file));
  const annotated = join(dir, "model.annotated.onnx");
  if (existsSync(annotated)) files.push(annotated);
  for (const f of files) {
    const why = await ortLoads(f);
    if (why) return `${f}: ${why}`;
  }
  return undefined;
}

process.on("message", (msg: WorkerRequest) => {
  void (async () => {
    const r = await runSparoaInProcess(msg.args);
    const reply: WorkerReply = { id: msg.id, code: r.code, internal: r.internal };
    if (r.code !== 0) reply.firstError = r.stderr.split("\n").find((l) => l.startsWith("sparoa: error:"));
    if (r.internal) reply.stack = (r.error as Error)?.stack?.split("\n").slice(0, 6).join("\n");
    if (r.code === 0 && msg.checkPackage && existsSync(join(msg.checkPackage, "manifest.json"))) {
      const problem = await checkPackage(msg.checkPackage);
      reply.packageLoads = problem === undefined;
      reply.packageProblem = problem;
      if (msg.checkInput) reply.inputLoads = (await ortLoads(msg.checkInput)) === undefined;
    }
    process.send!(reply);
  })();
});
process.send!({ ready: true });
