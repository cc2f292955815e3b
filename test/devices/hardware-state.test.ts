// The live hardware state: read from fixture /proc and /sys trees (a Jetson, a PC with
// nvidia-smi, a machine with nothing optional), validated when read from a file, and applied to
// a device profile so that a busy processor gives a plan less of itself.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadModel } from "../../ir/index.ts";
import { describeHardwareState, HardwareStateError, loadHardwareState, readHardwareState, validateHardwareState, type HardwareState } from "../../src/devices/hardware-state.ts";
import { loadProfile } from "../../src/devices/profile.ts";
import { adjustProfile } from "../../src/devices/state-profile.ts";
import { simulate } from "../../src/sim/simulator.ts";
import { FIXTURES, PROJECT_ROOT } from "../support/corpus.ts";

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "sparoa-state-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

// Two /proc/stat reads: the fixture file is read twice, so utilisation comes out of one file
// only when it changes between reads; tests that need a delta swap the file in `run`'s place.
const STAT = "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0\ncpu1 50 0 50 400 0 0 0 0 0 0\n";
const STAT_LATER = "cpu  400 0 100 900 0 0 0 0 0 0\ncpu0 250 0 50 450 0 0 0 0 0 0\ncpu1 150 0 50 450 0 0 0 0 0 0\n";

describe("hardware state", () => {
  it("reads per-core utilisation from two /proc/stat samples, memory, pressure and cpufreq", async () => {
    const root = tree({
      "proc/stat": STAT,
      "proc/meminfo": "MemTotal:       8000000 kB\nMemFree: 1 kB\nMemAvailable:   2048000 kB\n",
      "proc/pressure/cpu": "some avg10=12.50 avg60=1.00 avg300=0.00 total=1\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
      "proc/pressure/memory": "some avg10=3.00 avg60=0 avg300=0 total=0\nfull avg10=1.00 avg60=0 avg300=0 total=0\n",
      "sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq": "1510400\n",
      "sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq": "2201600\n",
    });
    // Replace the stat file between the two reads (sampleMs gives the test the time to do it).
    const reading = readHardwareState({ root, sampleMs: 50, run: () => undefined, loadavg: () => [1.5, 1, 0.5] });
    writeFileSync(join(root, "proc/stat"), STAT_LATER);
    const s = await reading;
    expect(s.cpu.cores.map((c) => c.utilisation)).to.deep.equal([200 / 250, 100 / 150]);
    expect(s.cpu.utilisation).to.be.closeTo(300 / 400, 1e-12);
    expect(s.cpu.cores[0]!.freqMHz).to.equal(1510.4);
    expect(s.cpu.cores[0]!.maxFreqMHz).to.equal(2201.6);
    expect(s.cpu.cores[1]!.freqMHz).to.equal(undefined);
    expect(s.memory).to.deep.equal({ totalMB: 7813, availableMB: 2000 });
    expect(s.pressure).to.deep.equal({ cpuSome: 0.125, memorySome: 0.03, memoryFull: 0.01 });
    expect(s.cpu.load1).to.equal(1.5);
    expect(s.gpus).to.deep.equal([]);
    expect(s.absent.gpus).to.match(/no nvidia-smi/);
    expect(validateHardwareState(JSON.parse(JSON.stringify(s)))).to.deep.equal(JSON.parse(JSON.stringify(s)));
  });

  it("reads a Jetson's GPU load and clocks, EMC clock and INA3221 rails where jtop reads them", async () => {
    const gpu = "sys/class/devfreq/17000000.gpu";
    const rails = "sys/bus/i2c/devices/1-0040/hwmon/hwmon3";
    const root = tree({
      "proc/stat": STAT,
      [`${gpu}/device/of_node/name`]: "ga10b\0",
      [`${gpu}/device/load`]: "734\n",
      [`${gpu}/cur_freq`]: "624750000\n",
      [`${gpu}/max_freq`]: "624750000\n",
      "sys/class/devfreq/other/device/of_node/name": "nvdla\0",
      "sys/kernel/debug/bpmp/debug/clk/emc/rate": "2133000000\n",
      [`${rails}/in1_label`]: "VDD_IN\n", [`${rails}/in1_input`]: "5000\n", [`${rails}/curr1_input`]: "1200\n",
      [`${rails}/in2_label`]: "VDD_CPU_GPU_CV\n", [`${rails}/in2_input`]: "4900\n", [`${rails}/curr2_input`]: "400\n",
    });
    const s = await readHardwareState({ root, sampleMs: 1, run: () => undefined });
    expect(s.gpus).to.deep.equal([{ source: "jetson-devfreq", name: "ga10b", utilisation: 0.734, clockMHz: 624.75, maxClockMHz: 624.75 }]);
    expect(s.emcMHz).to.equal(2133);
    expect(s.rails.map((r) => [r.label, r.powerW])).to.deep.equal([["VDD_IN", 6], ["VDD_CPU_GPU_CV", 1.96]]);
    expect(s.absent.gpus).to.equal(undefined);
    expect(describeHardwareState(s).join("\n")).to.match(/gpu ga10b \(jetson-devfreq\): busy 73%, 625\/625 MHz/);
  });

  it("parses nvidia-smi's CSV and marks unreadable fields absent instead of inventing them", async () => {
    const root = tree({ "proc/stat": STAT });
    const calls: string[][] = [];
    const s = await readHardwareState({
      root, sampleMs: 1,
      run: (cmd, args) => { calls.push([cmd, ...args]); return "NVIDIA H100 PCIe, 37, 1024, 81559, 1755, 1980, 1593, [N/A], 41\n"; },
    });
    expect(calls[0]![0]).to.equal("nvidia-smi");
    expect(calls[0]!.join(" ")).to.match(/--format=csv,noheader,nounits/);
    expect(s.gpus).to.deep.equal([{ source: "nvidia-smi", name: "NVIDIA H100 PCIe", utilisation: 0.37, memoryUsedMB: 1024, memoryTotalMB: 81559, clockMHz: 1755, maxClockMHz: 1980, memoryClockMHz: 1593, temperatureC: 41 }]);
    expect(s.memory).to.equal(undefined);
    expect(s.absent.memory).to.match(/meminfo/);
    expect(s.absent.pressure).to.match(/pressure/);
  });

  it("this machine: a snapshot that validates", async () => {
    const s = await readHardwareState();
    expect(s.cpu.logicalCores).to.be.greaterThan(0);
    validateHardwareState(JSON.parse(JSON.stringify(s)));
  });

  it("rejects a state file with missing or absurd fields, naming the field", () => {
    const good: HardwareState = { schema: "sparoa.state.v1", takenAt: "t", host: "h", cpu: { logicalCores: 4, utilisation: 0.5, cores: [{ core: 0, utilisation: 0.5 }], load1: 1, load5: 1, load15: 1 }, gpus: [{ source: "nvidia-smi", name: "g", utilisation: 0.2 }], rails: [], absent: {} };
    const bad = (mutate: (s: Record<string, any>) => void) => { const s = JSON.parse(JSON.stringify(good)); mutate(s); return () => validateHardwareState(s, "busy.json"); };
    expect(() => validateHardwareState(good)).not.to.throw();
    expect(bad((s) => { s.cpu.cores[0].utilisation = -0.3; })).to.throw(HardwareStateError, "busy.json: field 'cpu.cores[0].utilisation' must be a fraction between 0 and 1 (got -0.3)");
    expect(bad((s) => { s.cpu.utilisation = 4; })).to.throw(HardwareStateError, "field 'cpu.utilisation' must be a fraction between 0 and 1 (got 4)");
    expect(bad((s) => { s.gpus[0].utilisation = 4; })).to.throw(HardwareStateError, "field 'gpus[0].utilisation'");
    expect(bad((s) => { delete s.cpu; })).to.throw(HardwareStateError, "field 'cpu' is missing");
    expect(bad((s) => { s.cpu.load1 = 1e6; })).to.throw(HardwareStateError, "field 'cpu.load1' is implausible");
    expect(bad((s) => { s.schema = "x"; })).to.throw(HardwareStateError, "field 'schema'");
    const dir = mkdtempSync(join(tmpdir(), "sparoa-state-file-"));
    writeFileSync(join(dir, "s.json"), "{ nope");
    expect(() => loadHardwareState(join(dir, "s.json"))).to.throw(HardwareStateError, /s\.json: not valid JSON/);
    expect(() => loadHardwareState(join(dir, "missing.json"))).to.throw(HardwareStateError, /missing\.json: cannot read the state file \(ENOENT\)/);
  });

  it("a 75%-busy CPU gives the simulator a quarter of the CPU: the same CPU plan is predicted slower, a GPU plan is not", () => {
    const model = loadModel(join(FIXTURES, "tiny-cnn.onnx"));
    const profile = loadProfile("orin-nano");
    const idle: HardwareState = { schema: "sparoa.state.v1", takenAt: "t", host: "h", cpu: { logicalCores: 6, utilisation: 0, cores: [], load1: 0, load5: 0, load15: 0 }, gpus: [{ source: "jetson-devfreq", name: "ga10b", utilisation: 0 }], rails: [], absent: {} };
    const busy: HardwareState = { ...idle, cpu: { ...idle.cpu, utilisation: 0.75 } };
    const a = adjustProfile(profile, busy);
    expect(a.adjustments.map((x) => [x.processor, x.available])).to.deep.equal([["cpu", 0.25], ["gpu", 1]]);
    const cpu = Object.keys(profile.processors).find((p) => profile.processors[p]!.kind === "cpu")!;
    const gpu = Object.keys(profile.processors).find((p) => profile.processors[p]!.kind === "gpu")!;
    const on = (p: string) => new Map(model.graph.nodes.map((n) => [n, p]));
    const cpuIdle = simulate(model, on(cpu), adjustProfile(profile, idle).profile).makespanMs;
    const cpuBusy = simulate(model, on(cpu), a.profile).makespanMs;
    const gpuIdle = simulate(model, on(gpu), adjustProfile(profile, idle).profile).makespanMs;
    const gpuBusy = simulate(model, on(gpu), a.profile).makespanMs;
    expect(cpuBusy).to.be.greaterThan(cpuIdle * 2);
    expect(gpuBusy).to.be.closeTo(gpuIdle, gpuIdle * 1e-9);
    expect(a.profile.description).to.match(/state: cpu 25% available \(cpu 75% busy\)/);
    expect(profile.processors[cpu]!.peakGflops.f32).to.equal(loadProfile("orin-nano").processors[cpu]!.peakGflops.f32); // input untouched
  });

  it("sparoa profile --state prints the snapshot, names what is absent, and saves JSON that validates", () => {
    const out = join(mkdtempSync(join(tmpdir(), "sparoa-state-cli-")), "now.json");
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/sparoa.js"), "profile", "--state", "--state-output", out], { encoding: "utf8", cwd: PROJECT_ROOT });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^Hardware state of /);
    expect(r.stdout).to.match(/cpu: \d+ cores, busy \d+%/);
    expect(r.stdout).to.match(/absent: gpus|gpu /);
    expect(existsSync(out)).to.equal(true);
    expect(loadHardwareState(out).schema).to.equal("sparoa.state.v1");
    expect(JSON.parse(readFileSync(out, "utf8")).cpu.logicalCores).to.be.greaterThan(0);
  });
});
