// A dependency-free SVG scatter plot: log-scaled x, linear y in [0, 1], points coloured by group
// with a legend, dashed threshold lines splitting the plot into quadrants, labels on chosen points.
import { middleEllipsis } from "./ellipsis.ts";

export interface ScatterPoint { x: number; y: number; group: string; label?: string; weight?: number }

export interface ScatterOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Dashed lines at these coordinates. */
  xThreshold?: number;
  yThreshold?: number;
  /** Names of the four quadrants: [top-right, top-left, bottom-right, bottom-left]. */
  quadrantNames?: [string, string, string, string];
  /** A line under the plot (e.g. how many points could not be drawn). */
  footnote?: string;
}

// Tableau-like colours that stay distinct on white; later groups reuse them with a ring.
const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#17becf", "#8c564b"];

const W = 960;
const H = 600;
const M = { left: 70, right: 220, top: 50, bottom: 70 };

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);
}

interface Box { x0: number; x1: number; y0: number; y1: number }

/** Width of Helvetica text, a little generous (0.6 em a character) so boxes never undercount. */
const textWidth = (text: string, size: number) => 0.6 * size * text.length;


const fmt = (x: number) => (Number.isInteger(x) ? String(x) : Math.abs(x) < 10 ? x.toPrecision(2) : x.toFixed(1));

export function scatterSvg(points: readonly ScatterPoint[], o: ScatterOptions): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const xs = points.map((p) => p.x).filter((x) => x > 0);
  // Loops, not spreads: a 200,000-node model would overflow the stack.
  let lo = Math.floor(Math.log10(xs.reduce((a, x) => Math.min(a, x), Math.min(o.xThreshold ?? Infinity, 1))));
  let hi = Math.ceil(Math.log10(xs.reduce((a, x) => Math.max(a, x), Math.max(o.xThreshold ?? 0, 10))));
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [-1, 2];
  if (hi === lo) hi = lo + 1;
  const sx = (x: number) => M.left + ((Math.log10(x) - lo) / (hi - lo)) * pw;
  const sy = (y: number) => M.top + (1 - Math.min(1, Math.max(0, y))) * ph;
  const out: string[] = [];
  // Boxes taken by text (threshold values, quadrant names, labels): labels avoid all of them.
  const placed: Box[] = [];
  const textBox = (x: number, y: number, text: string, size: number, anchor: "start" | "end"): Box => {
    const w = textWidth(text, size);
    const x0 = anchor === "end" ? x - w : x;
    return { x0, x1: x0 + w, y0: y - size, y1: y + 3 };
  };
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${M.left}" y="28" font-size="16" font-weight="bold">${escapeXml(o.title)}</text>`);
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="#fbfbfb" stroke="#888"/>`);
  // Grid and ticks: decades on x, tenths on y.
  for (let k = lo; k <= hi; k++) {
    const x = sx(10 ** k);
    out.push(`<line x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + ph}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${x}" y="${M.top + ph + 18}" text-anchor="middle">${escapeXml(k >= 0 ? String(10 ** k) : (10 ** k).toFixed(-k))}</text>`);
  }
  for (let i = 0; i <= 10; i += 2) {
    const y = sy(i / 10);
    out.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${M.left - 8}" y="${y + 4}" text-anchor="end">${i * 10}%</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 28}" text-anchor="middle" font-size="13">${escapeXml(o.xLabel)}</text>`);
  out.push(`<text transform="translate(20 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="13">${escapeXml(o.yLabel)}</text>`);
  if (o.xThreshold !== undefined && o.xThreshold > 0) {
    const x = sx(o.xThreshold);
    out.push(`<line class="threshold" x1="${x}" y1="${M.top}" x2="${x}" y2="${M.top + ph}" stroke="#333" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${x + 4}" y="${M.top + ph - 6}" fill="#333">${escapeXml(fmt(o.xThreshold))}</text>`);
    placed.push(textBox(x + 4, M.top + ph - 6, fmt(o.xThreshold), 12, "start"));
  }
  if (o.yThreshold !== undefined) {
    const y = sy(o.yThreshold);
    out.push(`<line class="threshold" x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#333" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${M.left + 4}" y="${y - 4}" fill="#333">${escapeXml(`${fmt(100 * o.yThreshold)}%`)}</text>`);
    placed.push(textBox(M.left + 4, y - 4, `${fmt(100 * o.yThreshold)}%`, 12, "start"));
  }
  if (o.quadrantNames) {
    const [tr, tl, br, bl] = o.quadrantNames.map(escapeXml);
    const style = `fill="#999" font-size="13" font-style="italic"`;
    const [qtr, qtl, qbr, qbl] = o.quadrantNames;
    placed.push(textBox(M.left + pw - 8, M.top + 18, qtr, 13, "end"), textBox(M.left + 8, M.top + 18, qtl, 13, "start"),
      textBox(M.left + pw - 8, M.top + ph - 22, qbr, 13, "end"), textBox(M.left + 8, M.top + ph - 22, qbl, 13, "start"));
    out.push(`<text x="${M.left + pw - 8}" y="${M.top + 18}" text-anchor="end" ${style}>${tr}</text>`);
    out.push(`<text x="${M.left + 8}" y="${M.top + 18}" ${style}>${tl}</text>`);
    out.push(`<text x="${M.left + pw - 8}" y="${M.top + ph - 22}" text-anchor="end" ${style}>${br}</text>`);
    out.push(`<text x="${M.left + 8}" y="${M.top + ph - 22}" ${style}>${bl}</text>`);
  }
  // Groups by size, largest first, so the common ops get the clearest colours.
  const counts = new Map<string, number>();
  for (const p of points) counts.set(p.group, (counts.get(p.group) ?? 0) + 1);
  const groups = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([g]) => g);
  const colour = new Map(groups.map((g, i) => [g, PALETTE[i % PALETTE.length]!] as const));
  const maxWeight = Math.max(1, ...points.map((p) => p.weight ?? 0));
  const radius = (p: ScatterPoint) => 3 + 9 * Math.sqrt((p.weight ?? 0) / maxWeight);
  // Heavy points first so light ones stay visible on top.
  const drawn = points.filter((p) => p.x > 0).sort((a, b) => (b.weight ?? 0) - (a.weight ?? 0));
  for (const p of drawn) {
    const i = groups.indexOf(p.group);
    const ring = i >= PALETTE.length ? ` stroke="#000" stroke-width="1.5"` : ` stroke="white" stroke-width="0.8"`;
    out.push(`<circle class="point" cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="${radius(p).toFixed(1)}" fill="${colour.get(p.group)}" fill-opacity="0.8"${ring}><title>${escapeXml(`${p.label ?? p.group}: ${fmt(p.x)} FLOP/B, ${fmt(100 * p.y)}%`)}</title></circle>`);
  }
  // Labels beside their points (right, else left), nudged up or down with a leader line, inside
  // the plot area and clear of every other text; a label with no free place is left out (the
  // point's tooltip still names it) and counted in the footnote.
  let unplaced = 0;
  const inside = (b: Box) => b.x0 >= M.left + 2 && b.x1 <= M.left + pw - 2 && b.y0 >= M.top + 2 && b.y1 <= M.top + ph - 2;
  const free = (b: Box) => inside(b) && !placed.some((q) => b.x0 < q.x1 && b.x1 > q.x0 && b.y0 < q.y1 && b.y1 > q.y0);
  for (const p of drawn.filter((q) => q.label !== undefined)) {
    const text = middleEllipsis(p.label!, 32);
    const px = sx(p.x);
    const py = sy(p.y);
    const r = radius(p);
    const spot = [0, ...Array.from({ length: 16 }, (_, k) => (k % 2 ? 1 : -1) * 13 * Math.ceil((k + 1) / 2))].flatMap((dy) => (["start", "end"] as const).map((anchor) => ({ dy, anchor })))
      .map(({ dy, anchor }) => ({ dy, anchor, x: anchor === "start" ? px + r + 3 : px - r - 3, box: textBox(anchor === "start" ? px + r + 3 : px - r - 3, py + dy + 4, text, 11, anchor) }))
      .find((c) => free(c.box));
    if (!spot) { unplaced++; continue; }
    placed.push(spot.box);
    if (spot.dy !== 0) out.push(`<line x1="${px.toFixed(1)}" y1="${py.toFixed(1)}" x2="${spot.x.toFixed(1)}" y2="${(py + spot.dy).toFixed(1)}" stroke="#777" stroke-width="0.7"/>`);
    out.push(`<text class="label" x="${spot.x.toFixed(1)}" y="${(py + spot.dy + 4).toFixed(1)}" text-anchor="${spot.anchor}" font-size="11" fill="#222" stroke="white" stroke-width="3" paint-order="stroke">${escapeXml(text)}</text>`);
  }
  const lx = W - M.right + 20;
  out.push(`<text x="${lx}" y="${M.top + 4}" font-weight="bold">op type</text>`);
  groups.slice(0, 24).forEach((g, i) => {
    const y = M.top + 22 + i * 18;
    const ring = i >= PALETTE.length ? ` stroke="#000" stroke-width="1.5"` : "";
    out.push(`<circle cx="${lx + 6}" cy="${y - 4}" r="6" fill="${colour.get(g)}"${ring}/><text x="${lx + 18}" y="${y}">${escapeXml(`${g} (${counts.get(g)})`)}</text>`);
  });
  if (groups.length > 24) out.push(`<text x="${lx}" y="${M.top + 22 + 24 * 18}">… ${groups.length - 24} more</text>`);
  // Footnotes one per line below the axis title; the canvas grows to hold them.
  const notes = [o.footnote, unplaced > 0 ? `${unplaced} label(s) left out for lack of room (hover a point for its name)` : undefined].filter((n): n is string => Boolean(n));
  notes.forEach((n, i) => out.push(`<text x="${M.left}" y="${H - 8 + 15 * i}" fill="#666">${escapeXml(n)}</text>`));
  const height = H + 15 * Math.max(0, notes.length - 1);
  out[0] = out[0]!.replace(`height="${H}" viewBox="0 0 ${W} ${H}"`, `height="${height}" viewBox="0 0 ${W} ${height}"`);
  out[1] = `<rect width="${W}" height="${height}" fill="white"/>`;
  out.push("</svg>");
  return out.join("\n") + "\n";
}
