// Small text helpers shared by the report tables and pictures.

/** Cuts the middle out of a long name, so `encoder.layer.10.attn.q` and `...11.attn.q` stay apart. */
export function middleEllipsis(text: string, width: number): string {
  if (text.length <= width) return text;
  const head = Math.ceil((width - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`;
}
