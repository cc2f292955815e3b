// `--engine ort`: the plan run as ONE onnxruntime session over model.annotated.onnx, with
// onnxruntime's own layer assignment (every node's `layer_ann`, the session option
// `session.layer_assignment_settings`) choosing each node's execution provider. No worker
// threads, no partition models: this is how a user deploys a plan with plain onnxruntime.
// With profiling on, onnxruntime's trace names the provider that ran each node, which is
// compared with the plan (a node a provider has no kernel for falls back).
import { SparoaError } from "../../ir/sparoa-error.ts";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type * as ort from "onnxruntime-node";
import { openSession } from "../../ort/session.mjs";
import { loadModel, modelBytes, type Model } from "../../ir/index.ts";
import { decodeModel } from "../../ir/onnx/proto.ts";
import { LAYER_ANN_KEY, layerAssignmentSettings, parseLayerRules, patternMatches } from "../package/layer-assignment.ts";
import type { PackageManifest } from "../package/manifest.ts";
import { ManifestError, openPackage, type OpenedPackage } from "./package.ts";
import { processorOf } from "../package/manifest.ts";
import { addLayerAnnotations } from "../package/from-model.ts";
import { firstCause } from "../../ort/providers.ts";
import { describePlacement, parseProcessorMap, parseThreads, placeProcessors, processorMapOption, type ProcessorPlacement, type Provider } from "./processor-placement.ts";
import type { ProcessorStats, Feeds, LoadOptions } from "./runtime.ts";
import type { RouteSummary } from "./routes.ts";
import { checkFeeds } from "./validate-inputs.ts";

/** onnxruntime's name for each provider, as its profile writes it. */
const EP_NAME: Record<Provider, string> = {
  cpu: "CPUExecutionProvider", cuda: "CUDAExecutionProvider", webgpu: "WebGpuExecutionProvider", tensorrt: "TensorrtExecutionProvider",
};

/** A settings string onnxruntime refused, or an annotated model the engine cannot run. */
export class EngineError extends SparoaError {
  override name = "EngineError";
}

export interface OrtEngineOptions extends Omit<LoadOptions, "trace"> {
  /** A layer assignment settings string to use instead of the one derived from the processor placement. */
  settings?: string;
  /** Profile the session (onnxruntime's trace), so `placementCheck()` can say what ran where. */
  profile?: boolean;
  /**
   * Default: parallel when a GPU provider runs part of the plan and partitions on different
   * processors can run at the same time, else sequential (on CPU providers alone parallel mode was
   * 1.35-1.66x slower here: its inter-op threads compete with the intra-op ones; docs/benchmarks.md).
   */
  executionMode?: "sequential" | "parallel";
}

/** What onnxruntime did with the plan: each planned node's provider in the profile against the plan's. */
export interface PlacementCheck {
  /** Nodes of the annotated model. */
  planned: number;
  /** Planned nodes the profile shows running on the expected provider. */
  agree: number;
  /** Planned nodes that ran on another provider than the plan's (kernel fallback, rule skipped). */
  mismatches: { node: string; op: string; processor: string; expected: string; actual: string }[];
  /** Planned nodes the profile does not show: folded or fused away by onnxruntime's graph optimisations. */
  notInProfile: number;
  /**
   * Nodes in the profile that the model does not have (fusions, layout changes, copies), with
   * their provider, and `from`: the planned node whose output they are named after
   * (onnxruntime's CPU layout pass names `conv1_out0_nchwc` after conv1's output); such a node
   * is also compared with that node's processor.
   */
  added: { node: string; op: string; provider: string; from?: string }[];
}

export class OrtEngine {
  readonly engine = "ort";
  /** The ort engine records no Chrome trace (onnxruntime's profile is its trace). */
  readonly trace = undefined;
  private busyMs = 0;
  private statsSince = performance.now();
  private profileDir: string | undefined;
  private check: PlacementCheck | undefined;
  /** What the settings leave to onnxruntime: rules no provider here serves, nodes no rule matches. */
  readonly notes: string[] = [];
  /** Node name -> what onnxruntime's profile says ran it (after placementCheck). */
  ran: Map<string, { op: string; provider: string }> | undefined;

  private constructor(
    readonly pkg: OpenedPackage,
    readonly placements: ProcessorPlacement[],
    private readonly session: ort.InferenceSession,
    /** The settings string the session runs with. */
    readonly settings: string,
    readonly executionMode: "sequential" | "parallel",
    readonly providers: Provider[],
    readonly plannedNodes: Map<string, PlannedNode>,
    profileDir: string | undefined,
  ) {
    this.profileDir = profileDir;
  }

  get manifest(): PackageManifest {
    return this.pkg.manifest;
  }

  /** Opens a package folder (its model.annotated.onnx) or an annotated/plain .onnx as one session. */
  static async load(target: string, options: OrtEngineOptions = {}): Promise<OrtEngine> {
    const pkg = await openPackage(target);
    const { model, source } = annotatedSource(target, pkg);
    const processors = [...new Set(pkg.manifest.partitions.map((p) => p.processor))].sort((a, b) => (a === "cpu" ? -1 : b === "cpu" ? 1 : a.localeCompare(b)));
    const placements = await placeProcessors(processors, parseProcessorMap(processorMapOption(options)), parseThreads(options.threads));
    const providerOf = new Map(placements.map((p) => [p.processor, p.provider]));
    const settings = options.settings ?? layerAssignmentSettings(processors, (d) => (providerOf.get(d) === "cpu" ? "cpu" : "gpu"));
    const providers = [...new Set([...placements.map((p) => p.provider).filter((p) => p !== "cpu"), "cpu" as const])];
    const gpuUsed = placements.some((p) => p.provider !== "cpu");
    const executionMode = options.executionMode ?? (gpuUsed && hasConcurrentProcessors(pkg.manifest) ? "parallel" : "sequential");
    const cpuThreads = placements.filter((p) => p.provider === "cpu").reduce((a, p) => a + p.threads, 0);
    const profileDir = options.profile ? mkdtempSync(join(tmpdir(), "sparoa-ort-profile-")) : undefined;
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: providers,
      executionMode,
      intraOpNumThreads: Math.max(1, cpuThreads),
      interOpNumThreads: executionMode === "parallel" ? placements.length : 1,
      logSeverityLevel: 4, // sparoa reports skipped rules itself (settingsNotes); failures still throw
      ...(profileDir ? { enableProfiling: true, profileFilePrefix: join(profileDir, "ort") } : {}),
      extra: { session: { layer_assignment_settings: settings } },
    };
    let session: ort.InferenceSession;
    try {
      session = await openSession(source, sessionOptions);
    } catch (e) {
      if (profileDir) rmSync(profileDir, { recursive: true, force: true });
      const cause = firstCause((e as Error).message);
      if (/layering|layer_assignment/i.test(cause)) {
        const from = options.settings !== undefined ? "--layer-settings" : "the derived layer assignment settings";
        throw new EngineError(`${from}: onnxruntime rejects '${settings}': ${cause}`);
      }
      throw new EngineError(`${target}: onnxruntime cannot create one session for the annotated model: ${cause}`);
    }
    const planned = new Map<string, PlannedNode>();
    for (const n of model.graph.nodes) planned.set(n.name, { op: n.opType, processor: processorOf(n.metadata) ?? "cpu", outputs: n.outputs.map((v) => v.name) });
    const engine = new OrtEngine(pkg, placements, session, settings, executionMode, providers, planned, profileDir);
    engine.notes.push(...settingsNotes(settings, providers, model.graph.nodes.map((n) => n.metadata.get(LAYER_ANN_KEY) ?? "")));
    return engine;
  }

  /** Checks the feeds and runs the session once. */
  async run(feeds: Feeds): Promise<Record<string, ort.Tensor>> {
    checkFeeds(new Map(Object.entries(feeds).map(([name, t]) => [name, { type: t.type, dims: t.dims }])), this.manifest.source.inputs);
    const t0 = performance.now();
    const out = await this.session.run(feeds);
    this.busyMs += performance.now() - t0;
    return out;
  }

  /**
   * Ends profiling (once) and compares onnxruntime's provider per node with the plan. Needs
   * `profile: true` and at least one run.
   */
  placementCheck(): PlacementCheck | undefined {
    if (this.check || !this.profileDir) return this.check;
    this.session.endProfiling();
    const file = readdirSync(this.profileDir).find((f) => f.endsWith(".json"));
    if (!file) return undefined;
    this.ran = profiledProviders(JSON.parse(readFileSync(join(this.profileDir, file), "utf8")));
    const check = comparePlacement(this.plannedNodes, this.ran, new Map(this.placements.map((p) => [p.processor, p.provider])));
    this.check = check;
    rmSync(this.profileDir, { recursive: true, force: true });
    this.profileDir = undefined;
    return check;
  }

  /** One line per processor placement, then the session itself. */
  describeProcessors(): string[] {
    return [
      ...this.placements.map(describePlacement),
      `one onnxruntime session: providers [${this.providers.join(", ")}], ${this.executionMode} execution, ${LAYER_ANN_KEY} settings "${this.settings}"`,
      ...this.notes.map((n) => `note: ${n}`),
    ];
  }

  /** Nothing crosses threads: every value stays inside the session. */
  routeSummary(): RouteSummary {
    return { kept: 0, crossings: [], returned: this.manifest.source.outputs.length };
  }

  /** The session's busy time, as one entry (onnxruntime does not split it per provider). */
  processorStats(): ProcessorStats[] {
    const wall = performance.now() - this.statsSince;
    return [{
      processor: "session", provider: this.providers.join("+"), threads: this.placements.filter((p) => p.provider === "cpu").reduce((a, p) => a + p.threads, 0),
      busyMs: this.busyMs, utilisation: wall > 0 ? this.busyMs / wall : 0, restarts: 0, partitions: this.manifest.partitions.map((p) => p.id),
    }];
  }

  resetStats(): void {
    this.busyMs = 0;
    this.statsSince = performance.now();
  }

  async close(): Promise<void> {
    await this.session.release();
    if (this.profileDir) rmSync(this.profileDir, { recursive: true, force: true });
    this.profileDir = undefined;
  }
}

/** Node name -> op and provider, from onnxruntime's profile JSON (its `<node>_kernel_time` events). */
export function profiledProviders(events: { cat?: string; name?: string; args?: { provider?: string; op_name?: string } }[]): Map<string, { op: string; provider: string }> {
  const ran = new Map<string, { op: string; provider: string }>();
  for (const e of events) {
    if (e.cat !== "Node" || !e.name?.endsWith("_kernel_time") || !e.args?.provider) continue;
    ran.set(e.name.slice(0, -"_kernel_time".length), { op: e.args.op_name ?? "", provider: e.args.provider });
  }
  return ran;
}

/** The plan (node -> processor, processor -> provider) against what ran. */
export function comparePlacement(planned: ReadonlyMap<string, PlannedNode>, ran: ReadonlyMap<string, { op: string; provider: string }>, providerOf: ReadonlyMap<string, Provider>): PlacementCheck {
  const check: PlacementCheck = { planned: planned.size, agree: 0, mismatches: [], notInProfile: 0, added: [] };
  const expectedOf = (processor: string) => EP_NAME[providerOf.get(processor) ?? "cpu"];
  for (const [node, { op, processor }] of planned) {
    const actual = ran.get(node);
    if (!actual) { check.notInProfile++; continue; }
    if (actual.provider === expectedOf(processor)) check.agree++;
    else check.mismatches.push({ node, op, processor, expected: expectedOf(processor), actual: actual.provider });
  }
  const producer = new Map<string, string>();
  for (const [node, p] of planned) for (const v of p.outputs) producer.set(v, node);
  for (const [node, r] of ran) {
    if (planned.has(node)) continue;
    const from = producer.get(node.replace(/_nchwc$/, ""));
    check.added.push({ node, op: r.op, provider: r.provider, ...(from ? { from } : {}) });
    const processor = from ? planned.get(from)!.processor : undefined;
    if (processor !== undefined && r.provider !== expectedOf(processor)) check.mismatches.push({ node, op: r.op, processor, expected: expectedOf(processor), actual: r.provider });
  }
  return check;
}

/** A node of the annotated model: its op, planned processor and output value names. */
export interface PlannedNode { op: string; processor: string; outputs: string[] }

/**
 * What the session loads: a package's annotated model by path (external weights resolve beside
 * it), an .onnx whose nodes all carry layer_ann by path, or else the model with layer_ann added
 * from sparoa.processor / sparoa.partition, as bytes.
 */
function annotatedSource(target: string, pkg: OpenedPackage): { model: Model; source: { path: string } | { bytes: Uint8Array; externalData: ExternalData } } {
  let file = target;
  if (statSync(target).isDirectory()) {
    const name = pkg.manifest.annotatedModel;
    if (!name) throw new ManifestError(`${join(target, "manifest.json")}: annotatedModel: missing; --engine ort runs the annotated whole model (re-run 'sparoa optimize')`);
    file = join(target, name);
    if (!existsSync(file)) throw new ManifestError(`${join(target, "manifest.json")}: annotatedModel: '${name}' does not exist in the package`);
  }
  const model = loadModel(file);
  const nodes = model.graph.nodes;
  if (nodes.every((n) => n.metadata.has(LAYER_ANN_KEY))) return { model, source: { path: resolve(file) } };
  addLayerAnnotations(model);
  return { model, source: { bytes: modelBytes(model), externalData: externalDataFiles(file) } };
}

/** The external data files a model refers to, read from its folder (a model from bytes has no folder for onnxruntime to look in). */
function externalDataFiles(file: string): ExternalData {
  const locations = new Set<string>();
  for (const t of decodeModel(readFileSync(file)).graph?.initializer ?? []) {
    if (t.dataLocation === 1) locations.add(t.externalData.find((e) => e.key === "location")?.value ?? "");
  }
  const dir = dirname(resolve(file));
  return [...locations].map((location) => {
    const full = resolve(dir, location);
    if (relative(dir, full).startsWith("..") || isAbsolute(location)) throw new EngineError(`${file}: external data '${location}' is outside the model's folder`);
    if (!existsSync(full)) throw new EngineError(`${file}: external data file '${location}' is missing`);
    return { path: location, data: readFileSync(full) };
  });
}

type ExternalData = { path: string; data: Uint8Array }[];

/**
 * What onnxruntime will do with the settings beyond the plan (it logs this natively; sparoa
 * keeps onnxruntime quiet and says it once): rules for a processor no registered provider serves
 * are skipped, and nodes no rule matches are placed by onnxruntime itself.
 */
function settingsNotes(settings: string, providers: readonly Provider[], annotations: readonly string[]): string[] {
  const rules = parseLayerRules(settings);
  const gpu = providers.some((p) => p !== "cpu");
  const notes: string[] = [];
  for (const r of rules) {
    const word = r.device.toLowerCase();
    const served = word === "cpu" || word.startsWith("cpuexecution") || (gpu && !word.startsWith("cpu"));
    if (!served) notes.push(`rule '${r.device}(${r.patterns.join(", ")})' matches no registered provider (providers: ${providers.join(", ")}): onnxruntime skips it`);
  }
  const unmatched = annotations.filter((a) => !rules.some((r) => r.patterns.some((p) => patternMatches(p, a)))).length;
  if (unmatched > 0) notes.push(`${unmatched} of ${annotations.length} nodes match no rule: onnxruntime places them itself`);
  return notes;
}

/** Whether two partitions on different processors can run at the same time (neither reaches the other). */
function hasConcurrentProcessors(m: PackageManifest): boolean {
  const reach = m.partitions.map(() => new Set<number>());
  for (const p of m.partitions) for (const d of p.dependsOn) { reach[p.id]!.add(d); for (const r of reach[d]!) reach[p.id]!.add(r); }
  for (const a of m.partitions) for (const b of m.partitions) {
    if (a.id < b.id && a.processor !== b.processor && !reach[b.id]!.has(a.id)) return true;
  }
  return false;
}
