// Progress of long work on stderr: a bar redrawn in place on a terminal; elsewhere (CI logs,
// pipes, `2> log`) one plain line every few seconds, so a long run is visibly alive there too.
// SPAROA_PROGRESS_SECONDS sets that interval (0: a line per step); silent when `enabled` is false.
const lineInterval = (): number => {
  const s = Number(process.env.SPAROA_PROGRESS_SECONDS ?? "5");
  return Number.isFinite(s) && s >= 0 ? s * 1000 : 5000;
};

export class Progress {
  private done = 0;
  private lastDraw = 0;
  private readonly bar: boolean;
  private readonly enabled: boolean;
  private readonly interval = lineInterval();
  private readonly start = Date.now();

  constructor(private readonly label: string, private readonly total: number, enabled = true) {
    this.enabled = enabled && total > 0;
    this.bar = process.stderr.isTTY === true;
    this.lastDraw = this.bar ? 0 : this.start;
  }

  tick(step = 1, detail = ""): void {
    this.done = Math.min(this.total, this.done + step);
    if (!this.enabled) return;
    const now = Date.now();
    const secs = ((now - this.start) / 1000).toFixed(1);
    if (!this.bar) {
      if (now - this.lastDraw < this.interval || this.done >= this.total && this.interval > 0) return;
      this.lastDraw = now;
      process.stderr.write(`sparoa: ${this.label}: ${this.done}/${this.total} after ${secs} s${detail ? ` (${detail})` : ""}\n`);
      return;
    }
    if (now - this.lastDraw < 80 && this.done < this.total) return;
    this.lastDraw = now;
    const width = 28;
    const filled = Math.round((width * this.done) / this.total);
    process.stderr.write(`\r${this.label} [${"█".repeat(filled)}${"░".repeat(width - filled)}] ${this.done}/${this.total} ${secs}s ${detail}`.slice(0, 120).padEnd(100));
  }

  finish(): void {
    if (this.enabled && this.bar) process.stderr.write("\r" + " ".repeat(110) + "\r");
  }
}
