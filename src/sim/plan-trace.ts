// Any simulated plan as a Chrome trace (JSON Object Format; open in https://ui.perfetto.dev or
// chrome://tracing): one track per processor with its nodes, one track per link direction with the
// transfers a copy engine ran, and synchronous copies on the processor that did them.
import { ChromeTrace, type ChromeTraceJson } from "../io/chrome-trace.ts";
import type { SimResult } from "./simulator.ts";

/** The trace of `result`; `title` names the process (e.g. "resnet50 on orin-nano: oracle"). */
export function toChromeTrace(result: SimResult, title: string): ChromeTraceJson {
  const us = (ms: number) => Math.round(ms * 1000 * 1000) / 1000;
  const trace = new ChromeTrace();
  trace.processName(title);
  const processors = Object.keys(result.processors);
  for (const p of processors) trace.track(p);
  // Link tracks after the processors' (ids from 100 up), made when a copy engine first runs on one.
  const linkTid = (from: string, to: string) => trace.track(`link ${from} → ${to}`, { tid: 100 + trace.trackCount });
  for (const s of result.schedule) {
    const args: Record<string, string | number | boolean> = { op: s.node.opType, fused: s.fused };
    if (s.share !== undefined) args.share = s.share;
    trace.complete(trace.track(s.processor), s.node.name || s.node.opType, s.node.opType, us(s.startMs), us(s.endMs - s.startMs), args);
  }
  for (const t of result.transfers) {
    const track = t.sync ? trace.track(t.to) : linkTid(t.from, t.to);
    trace.complete(track, `copy ${t.value}`, "transfer", us(t.startMs), us(t.endMs - t.startMs), { bytes: t.bytes, from: t.from, to: t.to, sync: t.sync });
  }
  return trace.toJSON({ makespan_ms: result.makespanMs, crossings: result.crossings, bytes_moved: result.bytesMoved, energy_mj: result.energyMj });
}
