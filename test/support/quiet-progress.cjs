// Loaded by .mocharc.json: progress lines (a line every 5 s on a non-terminal stderr) would land
// at load-dependent moments in the stderr that tests compare line by line, so the commands the
// tests spawn print them only after 10 minutes. test/cli/messages.test.ts sets its own interval
// to check that the lines appear.
process.env.SPAROA_PROGRESS_SECONDS ??= "600";
