// The command line's own behaviour: the lazy command list agrees with each command's module,
// a bare `sparoa` lists the commands, and parse mistakes get one line that quotes what was typed
// and says what would have been accepted.
import { expect } from "chai";
import { join } from "node:path";
import { COMMANDS, commandName } from "../../src/cli/commands.ts";
import { editDistance, nearest } from "../../src/cli/parse-messages.ts";
import { FIXTURES } from "../support/corpus.ts";
import { runAll, runSparoa } from "../support/sparoa-cli.ts";

const TINY = join(FIXTURES, "tiny-cnn.onnx");

describe("sparoa CLI: start and parse messages", () => {
  it("lists each command with the same name and description as its module", async () => {
    for (const entry of COMMANDS) {
      const module = await entry.load();
      expect(module.command, commandName(entry)).to.equal(entry.command);
      expect(module.describe, commandName(entry)).to.equal(entry.describe);
    }
  });

  it("suggests the nearest option name", () => {
    expect(editDistance("formt", "format")).to.equal(1);
    expect(nearest("formt", ["format", "output", "verify"])).to.equal("format");
    expect(nearest("thresh", ["external-data-threshold", "threshold"])).to.equal("threshold");
    expect(nearest("zzzzzz", ["format", "output"])).to.equal(undefined);
  });

  it("answers a bare `sparoa`, a bad choice and unknown options in one line each", async () => {
    const [bare, png, typo, unknown] = await runAll([
      () => runSparoa([]),
      () => runSparoa(["inspect", TINY, "--format", "png"]),
      () => runSparoa(["inspect", TINY, "--formt", "dot"]),
      () => runSparoa(["bench", "out", "--qqqqqq"]),
    ]);
    expect(bare!.code).to.equal(1);
    for (const c of COMMANDS) expect(bare!.stderr).to.contain(`sparoa ${c.command}`);
    expect(bare!.stderr.trim().split("\n").at(-1)).to.equal("sparoa: error: name a command (see the list above)");
    expect(png!.code).to.equal(1);
    expect(png!.stderr).to.equal(`sparoa: error: --format "png": not one of the allowed values "text", "json", "dot"\n`);
    expect(png!.stdout).to.equal("");
    expect(typo!.stderr).to.equal("sparoa: error: unknown option '--formt' (did you mean --format?)\n");
    expect(unknown!.stderr).to.equal("sparoa: error: unknown option '--qqqqqq' (see --help)\n");
  });
});
