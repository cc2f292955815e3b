// Preloaded into a measured child (`node --require bench/support/report-usage.cjs ...`): on exit,
// writes the process's peak resident set size and CPU times to $SPAROA_USAGE_OUT as JSON.
const { writeFileSync } = require("node:fs");
const out = process.env.SPAROA_USAGE_OUT;
if (out) {
  process.on("exit", (code) => {
    const u = process.resourceUsage();
    writeFileSync(out, JSON.stringify({ code, maxRssBytes: u.maxRSS * 1024, userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000 }));
  });
}
