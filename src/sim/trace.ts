// Any simulated plan as a Chrome trace (JSON Object Format; open in https://ui.perfetto.dev or
// chrome://tracing): one track per processor with its nodes, one track per link direction with the
// transfers a copy engine ran, and synchronous copies on the processor that did them.
import type { SimResult } from "./simulator.ts";

export interface TraceEvent {
  name: string;
  ph: "X" | "M";
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  args?: Record<string, string | number | boolean>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: "ms";
  otherData: Record<string, string | number>;
}

/** The trace of `result`; `title` names the process (e.g. "resnet50 on orin-nano: oracle"). */
export function toChromeTrace(result: SimResult, title: string): ChromeTrace {
  const us = (ms: number) => Math.round(ms * 1000 * 1000) / 1000;
  const processors = Object.keys(result.processors);
  const tid = new Map<string, number>(processors.map((p, i) => [p, i + 1]));
  const events: TraceEvent[] = [{ name: "process_name", ph: "M", pid: 1, tid: 0, args: { name: title } }];
  for (const [p, t] of tid) events.push({ name: "thread_name", ph: "M", pid: 1, tid: t, args: { name: p } });
  const linkTid = (from: string, to: string) => {
    const key = `${from} → ${to}`;
    if (!tid.has(key)) {
      tid.set(key, 100 + tid.size);
      events.push({ name: "thread_name", ph: "M", pid: 1, tid: tid.get(key)!, args: { name: `link ${key}` } });
    }
    return tid.get(key)!;
  };
  for (const s of result.schedule) {
    const args: Record<string, string | number | boolean> = { op: s.node.opType, fused: s.fused };
    if (s.share !== undefined) args.share = s.share;
    events.push({ name: s.node.name || s.node.opType, cat: s.node.opType, ph: "X", pid: 1, tid: tid.get(s.processor)!, ts: us(s.startMs), dur: us(s.endMs - s.startMs), args });
  }
  for (const t of result.transfers) {
    const track = t.sync ? tid.get(t.to)! : linkTid(t.from, t.to);
    events.push({ name: `copy ${t.value}`, cat: "transfer", ph: "X", pid: 1, tid: track, ts: us(t.startMs), dur: us(t.endMs - t.startMs), args: { bytes: t.bytes, from: t.from, to: t.to, sync: t.sync } });
  }
  return {
    traceEvents: events,
    displayTimeUnit: "ms",
    otherData: { makespan_ms: result.makespanMs, crossings: result.crossings, bytes_moved: result.bytesMoved, energy_mj: result.energyMj },
  };
}
