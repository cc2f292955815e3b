// A progress bar on stderr for long work; silent when stderr is not a terminal (CI, pipes, --json).
export class Progress {
  private done = 0;
  private lastDraw = 0;
  private readonly enabled: boolean;
  private readonly start = Date.now();

  constructor(private readonly label: string, private readonly total: number, enabled = process.stderr.isTTY === true) {
    this.enabled = enabled && total > 0;
  }

  tick(step = 1, detail = ""): void {
    this.done = Math.min(this.total, this.done + step);
    const now = Date.now();
    if (!this.enabled || (now - this.lastDraw < 80 && this.done < this.total)) return;
    this.lastDraw = now;
    const width = 28;
    const filled = Math.round((width * this.done) / this.total);
    const secs = ((now - this.start) / 1000).toFixed(1);
    process.stderr.write(`\r${this.label} [${"█".repeat(filled)}${"░".repeat(width - filled)}] ${this.done}/${this.total} ${secs}s ${detail}`.slice(0, 120).padEnd(100));
  }

  finish(): void {
    if (this.enabled) process.stderr.write("\r" + " ".repeat(110) + "\r");
  }
}
