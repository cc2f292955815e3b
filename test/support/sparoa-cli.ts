// Running the real `sparoa` command (node bin/sparoa.js) from tests, several at a time: each
// start costs about a second of CPU (tsx), so tables of cases run through a small pool.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { PROJECT_ROOT } from "./corpus.ts";

export interface CliResult { code: number | null; stdout: string; stderr: string }

export function runSparoa(args: readonly string[], cwd = PROJECT_ROOT, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, "bin", "sparoa.js"), ...args], { cwd, env: { ...process.env, SPAROA_DEBUG: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs every job with at most `width` at once; results in job order. */
export async function runAll<T>(jobs: readonly (() => Promise<T>)[], width = 4): Promise<T[]> {
  const results = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return results;
}
