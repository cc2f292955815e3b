// `sparoa train predictor --zoo DIR -o predictor.json`: label a zoo by grid search on the bundled
// and perturbed device profiles, train the threshold predictor in a worker thread, write it.
import { existsSync, readFileSync, statSync } from "node:fs";
import type { Argv, CommandModule } from "yargs";
import { buildDataset, datasetFromJson, datasetToJson, type Sample } from "../../learn/dataset.ts";
import { trainInWorker } from "../../learn/predictor-in-worker.ts";
import type { EpochReport } from "../../learn/predictor-train.ts";
import { PREDICTOR_KINDS, PREDICTOR_OUTPUTS, type PredictorKind, type PredictorOutput } from "../../predictor/architecture.ts";
import { predictorToJson } from "../../predictor/weights.ts";
import type { DeviceProfile } from "../../devices/profile.ts";
import { resolveDeviceProfile } from "../../profiler/live-host.ts";
import { CliError } from "../errors.ts";
import { writeAtomic } from "../../io/output.ts";
import { Progress } from "../../io/progress.ts";
import { SCHEDULER_TRAIN_DEFAULTS, trainSchedulerCommand } from "./train-scheduler.ts";

export const DEFAULT_STEPS = 64;

interface TrainArgs {
  what: string;
  zoo: string;
  output: string;
  epochs: number;
  seed: number;
  kind: string;
  "output-kind": string;
  perturbed: number;
  profile?: string[];
  "learning-rate": number;
  dataset?: string;
  json: boolean;
  steps: number;
  hidden: number;
  "max-nodes": number;
}

export const trainCommand: CommandModule<object, TrainArgs> = {
  command: "train <what>",
  describe: "train the threshold predictor or the SAC scheduler on a model zoo (its training split)",
  builder: (y) => (y as Argv<object>)
    .positional("what", { type: "string", choices: ["predictor", "scheduler"], describe: "what to train" })
    .option("zoo", { type: "string", demandOption: true, describe: "a zoo folder written by 'sparoa zoo' (its training split is used)" })
    .option("output", { alias: "o", type: "string", demandOption: true, describe: "predictor file to write (JSON)" })
    .option("epochs", { type: "number", default: 60, describe: "most epochs (early stopping on the validation loss usually ends sooner)" })
    .option("seed", { type: "number", default: 1, describe: "seed of the perturbed profiles, the initial weights, the shuffling and the validation split" })
    .option("kind", { type: "string", default: "transformer-lstm", choices: [...PREDICTOR_KINDS], describe: "architecture: the Transformer-LSTM or the pooled-feature MLP" })
    .option("output-kind", { type: "string", default: "bins", choices: [...PREDICTOR_OUTPUTS], describe: "bins: pick one of 11x11 quantile bins, trained on expected regret; quantiles: regress the grid's best quantiles" })
    .option("profile", { type: "string", array: true, describe: "device profiles to label on and perturb (names or JSON paths; default orin-nano, agx-orin, h100-pcie): add your board's to train for it" })
    .option("perturbed", { type: "number", default: 5, describe: "randomly perturbed device profiles per model, besides orin-nano, agx-orin and h100-pcie" })
    .option("learning-rate", { type: "number", default: 1e-3, describe: "Adam's learning rate" })
    .option("dataset", { type: "string", describe: "cache of the labelled dataset: read if it exists (made from the same zoo, --seed, --perturbed and --profile), else written; labelling is the slow part" })
    .option("json", { type: "boolean", default: false, describe: "print the training record as JSON" })
    .option("steps", { type: "number", default: SCHEDULER_TRAIN_DEFAULTS.steps, describe: "scheduler: environment steps (one node placed each; an update every 2)" })
    .option("hidden", { type: "number", default: SCHEDULER_TRAIN_DEFAULTS.hidden, describe: "scheduler: width of the actor's and critics' two hidden layers" })
    .option("max-nodes", { type: "number", default: SCHEDULER_TRAIN_DEFAULTS.maxNodes, describe: "scheduler: train on zoo models with at most this many nodes" })
    .example("$0 zoo -o zoo --count 120 --seed 11 && $0 train predictor --zoo zoo -o predictor.json --seed 1", "the bundled Transformer-LSTM predictor's recipe (docs/predictor.md)")
    .example("$0 train predictor --zoo zoo -o mlp.json --kind mlp --dataset labels.json", "the cheap alternative, reusing cached labels")
    .example("$0 train predictor --zoo zoo -o board.json --profile orin-nano,agx-orin,h100-pcie,my-board.json", "also label on (and around) your own board's profile")
    .example("$0 optimize model.onnx -d my-board.json -o out --predictor board.json", "use it")
    .example("$0 train scheduler --zoo zoo -o scheduler.json --seed 1 --steps 4000", "pretrain the SAC scheduler (docs/scheduler.md)") as unknown as Argv<TrainArgs>,
  handler: async (argv) => {
    if (argv.what === "scheduler") return trainSchedulerCommand(argv);
    if (!Number.isInteger(argv.epochs) || argv.epochs < 1) throw new CliError(`--epochs must be a whole number >= 1 (got ${argv.epochs})`);
    if (!Number.isInteger(argv.seed) || argv.seed < 0) throw new CliError(`--seed must be a whole number >= 0 (got ${argv.seed})`);
    if (!(argv["learning-rate"] > 0 && argv["learning-rate"] < 1)) throw new CliError(`--learning-rate must be in (0, 1) (got ${argv["learning-rate"]})`);
    if (!Number.isInteger(argv.perturbed) || argv.perturbed < 0) throw new CliError(`--perturbed must be a whole number >= 0 (got ${argv.perturbed})`);
    if (!existsSync(argv.zoo) || !statSync(argv.zoo).isDirectory()) throw new CliError(`${argv.zoo}: not a folder (--zoo names a folder written by 'sparoa zoo')`);
    let baseProfiles: DeviceProfile[] | undefined;
    const names = argv.profile?.flatMap((x) => x.split(",")).filter((x) => x !== "");
    // One at a time: `host` may measure this machine, which must not compete with itself.
    if (names) {
      baseProfiles = [];
      for (const name of names) baseProfiles.push(await resolveDeviceProfile(name));
    }
    const tty = process.stderr.isTTY === true;
    const started = Date.now();
    let samples: Sample[];
    if (argv.dataset && existsSync(argv.dataset)) {
      try {
        samples = datasetFromJson(readFileSync(argv.dataset, "utf8"));
      } catch (e) {
        throw new CliError(`${argv.dataset}: not a labelled dataset (${(e as Error).message.split("\n")[0]})`);
      }
    } else {
      let bar: Progress | undefined;
      samples = await buildDataset(argv.zoo, {
        steps: DEFAULT_STEPS, seed: argv.seed, perturbed: argv.perturbed, baseProfiles,
        onModel: (done, total, file) => {
          if (tty) (bar ??= new Progress("label", total)).tick(1, file);
          else process.stderr.write(`label: ${done}/${total} ${file}\n`);
        },
      });
      bar?.finish();
      if (argv.dataset) writeAtomic(argv.dataset, datasetToJson(samples));
    }
    const train = samples.filter((s) => s.split === "train");
    if (train.length === 0) throw new CliError(`${argv.zoo}: no model in the training split (held-out families and sizes only); write a zoo with more models`);
    const bar = tty ? new Progress("train", argv.epochs) : undefined;
    const onEpoch = (r: EpochReport) => {
      const line = `epoch ${r.epoch}/${r.epochs} loss ${r.trainLoss.toFixed(4)} validation ${r.validationLoss.toFixed(4)}${r.best ? " *" : ""} ${(r.ms / 1000).toFixed(1)}s`;
      if (bar) bar.tick(1, line); else process.stderr.write(`train: ${line}\n`);
    };
    const { predictor, record } = await trainInWorker(train, { kind: argv.kind as PredictorKind, output: argv["output-kind"] as PredictorOutput, epochs: argv.epochs, seed: argv.seed, learningRate: argv["learning-rate"] }, onEpoch);
    bar?.finish();
    const command = `sparoa train predictor --zoo ${argv.zoo} -o ${argv.output} --epochs ${argv.epochs} --seed ${argv.seed} --kind ${argv.kind} --output-kind ${argv["output-kind"]} --perturbed ${argv.perturbed}${argv.profile?.length ? ` --profile ${argv.profile.join(",")}` : ""} --learning-rate ${argv["learning-rate"]}`;
    const training = { ...record, command, zoo: argv.zoo, date: new Date().toISOString() };
    const file = predictorToJson({ ...predictor, training });
    writeAtomic(argv.output, JSON.stringify(file) + "\n");
    if (argv.json) process.stdout.write(JSON.stringify(training, null, 2) + "\n");
    else process.stdout.write(`wrote ${argv.output}: ${predictor.config.kind}, ${train.length} samples (${record.samples.validation} for validation), best epoch ${record.bestEpoch}/${record.epochs}, validation loss ${record.validationLoss.toFixed(4)}, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  },
};
