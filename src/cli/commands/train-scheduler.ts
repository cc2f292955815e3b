// `sparoa train scheduler --zoo DIR -o scheduler.json`: pretrain the SAC scheduler across the
// zoo's train split under perturbed device profiles and hardware states, in a worker thread,
// and write its weights (docs/scheduler.md).
import { existsSync, statSync } from "node:fs";
import { trainSchedulerInWorker } from "../../learn/scheduler-in-worker.ts";
import { CliError } from "../errors.ts";
import { writeAtomic } from "../../io/output.ts";
import { Progress } from "../../io/progress.ts";

export interface TrainSchedulerArgs { zoo: string; output: string; seed: number; steps: number; hidden: number; "max-nodes": number; json: boolean }

export const SCHEDULER_TRAIN_DEFAULTS = { steps: 4000, hidden: 64, maxNodes: 400 };

export async function trainSchedulerCommand(argv: TrainSchedulerArgs): Promise<void> {
  for (const [flag, v, lo] of [["steps", argv.steps, 1], ["hidden", argv.hidden, 1], ["max-nodes", argv["max-nodes"], 1], ["seed", argv.seed, 0]] as const) {
    if (!Number.isInteger(v) || v < lo) throw new CliError(`--${flag} must be a whole number >= ${lo} (got ${v})`);
  }
  if (argv.hidden > 1024) throw new CliError(`--hidden must be at most 1024 (got ${argv.hidden})`);
  if (!existsSync(argv.zoo) || !statSync(argv.zoo).isDirectory()) throw new CliError(`${argv.zoo}: not a folder (--zoo names a folder written by 'sparoa zoo')`);
  const tty = process.stderr.isTTY === true;
  let analyse: Progress | undefined;
  let bar: Progress | undefined;
  let lastLine = 0;
  let lastStep = 0;
  const started = Date.now();
  const { weights, backend } = await trainSchedulerInWorker(argv.zoo, { seed: argv.seed, steps: argv.steps, hidden: argv.hidden, maxNodes: argv["max-nodes"] }, {
    onModel: (done, total, name) => {
      if (tty) (analyse ??= new Progress("analyse", total)).tick(1, name);
      else process.stderr.write(`analyse: ${done}/${total} ${name}\n`);
    },
    onProgress: (p) => {
      analyse?.finish();
      const line = `step ${p.step}/${p.steps} updates ${p.updates} Q loss ${p.qLoss.toFixed(3)} alpha ${p.alpha.toFixed(3)} ${p.problem}`;
      if (tty) { bar ??= new Progress("train", p.steps); bar.tick(p.step - lastStep, line); lastStep = p.step; }
      else if (Date.now() - lastLine > 5000 || p.step >= p.steps) { lastLine = Date.now(); process.stderr.write(`train: ${line}\n`); }
    },
  }).catch((e: Error) => { throw new CliError(e.message.replace(/^training failed: /, "train scheduler: ")); });
  bar?.finish();
  writeAtomic(argv.output, JSON.stringify(weights) + "\n");
  const t = weights.training;
  if (argv.json) process.stdout.write(JSON.stringify({ ...t, backend, output: argv.output }, null, 2) + "\n");
  else process.stdout.write(`wrote ${argv.output}: SAC-Discrete, hidden ${weights.config.hidden}, ${t.models.length} train-split models, ${t.steps} steps, ${t.updates} updates, Q loss ${t.qLossFirst.toFixed(3)} -> ${t.qLossLast.toFixed(3)}, ${backend} backend, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}
