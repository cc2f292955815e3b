// `--device host` is this machine now: measured on first use into a cache folder (here a
// temporary one, in the seconds-long smoke mode), read back instantly after that, measured again
// when the onnxruntime version or the thread count changes, and never a file from elsewhere.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { currentMachine, hostProfileCachePath } from "../../src/devices/host-machine.ts";
import { loadProfile, otherMachineNote, ProfileError, type DeviceProfile } from "../../src/devices/profile.ts";
import { isHostProfile } from "../../src/scheduler/state-option.ts";
import { liveHostProfile, resolveDeviceProfile } from "../../src/profiler/live-host.ts";
import { finishLoadReport } from "../../src/profiler/load.ts";
import { profileHost } from "../../src/profiler/profile-host.ts";
import { FIXTURES, PROJECT_ROOT } from "../support/corpus.ts";

describe("live host profile (--device host)", function () {
  const cache = mkdtempSync(join(tmpdir(), "sparoa-cache-"));
  const saved = { dir: process.env.SPAROA_CACHE_DIR, mode: process.env.SPAROA_HOST_PROFILE_MODE };
  before(() => {
    process.env.SPAROA_CACHE_DIR = cache;
    process.env.SPAROA_HOST_PROFILE_MODE = "smoke";
  });
  after(() => {
    for (const [k, v] of [["SPAROA_CACHE_DIR", saved.dir], ["SPAROA_HOST_PROFILE_MODE", saved.mode]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(cache, { recursive: true, force: true });
  });

  it("is not cached before its first use, and says how to measure it", () => {
    expect(() => loadProfile("host")).to.throw(ProfileError, /^the host profile is measured on this machine on first use and none is cached yet: run 'sparoa profile --refresh'/);
  });

  it("profiles once on first use, then reads the cache without measuring", async () => {
    const first = await liveHostProfile({ report: false });
    expect(first.measuredBecause).to.equal("first use on this machine");
    expect(first.path).to.equal(hostProfileCachePath(currentMachine(), "smoke"));
    expect(first.path.startsWith(cache)).to.equal(true);
    const m = first.profile.measured!;
    expect(m.machine).to.deep.equal(currentMachine());
    expect(m.mode).to.equal("smoke");
    expect(m.load!.cores).to.equal(currentMachine().cores);
    expect(m.load!.reason).to.be.a("string").and.not.equal("");
    expect(first.profile.processors.cpu!.peakGflops.f32).to.be.above(0);
    const written = statSync(first.path).mtimeMs;

    const second = await liveHostProfile({ report: false });
    expect(second.measuredBecause).to.equal(undefined);
    expect(second.result).to.equal(undefined);
    expect(second.profile).to.deep.equal(first.profile);
    expect(statSync(first.path).mtimeMs).to.equal(written);
    // The synchronous loader (the placement pass's) reads the same cached file.
    expect(loadProfile("host")).to.deep.equal(first.profile);
    expect(isHostProfile(first.profile)).to.equal(true);
  });

  it("host-2x1: two one-thread workers of this machine, measured once with their contention and cut costs, then cached", async function () {
    this.timeout(120_000);
    expect(() => loadProfile("host-2x1")).to.throw(ProfileError, /--device host-2x1 to measure it/);
    const first = await resolveDeviceProfile("host-2x1", { report: false });
    expect(first.name).to.equal("host-2x1");
    expect(Object.keys(first.processors)).to.deep.equal(["cpu0", "cpu1"]);
    expect(first.processors.cpu0!.threads).to.equal(1);
    expect(first.contention![0]!.processors).to.deep.equal(["cpu0", "cpu1"]);
    for (const s of [...first.contention![0]!.computeSlowdown, ...first.contention![0]!.memorySlowdown]) expect(s).to.be.at.least(1);
    expect(first.cutCosts!.conv!.bandwidthGBs).to.be.above(0);
    // Requests go through the runtime's workers: the request's own cost measured apart from a
    // partition's run call, and the worker sessions' slowdown applied to the workers' rates.
    const runtime = first.measured!.runtime!;
    expect(runtime.slowdown).to.be.within(0.8, 2);
    expect(first.partitionCallUs).to.be.a("number");
    expect(first.valueCopyGBs).to.be.above(0);
    expect(first.runOverheadUs).to.be.closeTo(first.partitionCallUs! + runtime.requestUs, 0.01 * first.runOverheadUs); // 3 significant figures
    const path = hostProfileCachePath(currentMachine(1), "smoke", 2);
    expect(path).to.not.equal(hostProfileCachePath(currentMachine(1), "smoke"));
    const written = statSync(path).mtimeMs;
    expect(loadProfile("host-2x1")).to.deep.equal(first);
    expect(await resolveDeviceProfile("host-2x1", { report: false })).to.deep.equal(first);
    expect(statSync(path).mtimeMs).to.equal(written);
  });

  it("measures again when the onnxruntime version changed since the cached profile", async () => {
    const path = hostProfileCachePath(currentMachine(), "smoke");
    const old = JSON.parse(readFileSync(path, "utf8")) as DeviceProfile;
    old.measured!.machine!.onnxruntime = "1.20.0";
    writeFileSync(path, JSON.stringify(old));
    expect(() => loadProfile("host")).to.throw(ProfileError, /describes this machine before a change \(onnxruntime 1\.20\.0 -> /);
    expect(otherMachineNote(old, "old.json")).to.match(/^profile old\.json was measured on a machine this one is not \(onnxruntime 1\.20\.0 -> \S+\)/);
    expect(isHostProfile(old)).to.equal(false);
    const again = await liveHostProfile({ report: false });
    expect(again.measuredBecause).to.match(/^the machine changed: onnxruntime 1\.20\.0 -> /);
    expect(again.profile.measured!.machine).to.deep.equal(currentMachine());
    expect((JSON.parse(readFileSync(path, "utf8")) as DeviceProfile).measured!.machine!.onnxruntime).to.equal(currentMachine().onnxruntime);
  });

  it("measures separately for another thread count", async () => {
    const threads = currentMachine().threads === 1 ? 2 : 1;
    const other = await liveHostProfile({ report: false, threads });
    expect(other.measuredBecause).to.equal("first use on this machine");
    expect(other.path).to.not.equal(hostProfileCachePath(currentMachine(), "smoke"));
    expect(other.profile.processors.cpu!.threads).to.equal(threads);
    expect(other.profile.measured!.machine!.threads).to.equal(threads);
    expect((await liveHostProfile({ report: false, threads })).measuredBecause).to.equal(undefined);
  });

  it("repeats the grid and reports every fitted figure with its spread over the repetitions", async () => {
    const r = await profileHost({ mode: "smoke", repetitions: 2, threads: 1 });
    const m = r.profile.measured!;
    expect(m.repetitions).to.equal(2);
    const cpu = r.profile.processors.cpu!;
    const spread = m.spread!;
    for (const path of ["runOverheadUs", "processors.cpu.peakGflops.f32", "processors.cpu.memoryBandwidthGBs", "processors.cpu.dispatchUs", "processors.cpu.efficiency.conv.compute", "processors.cpu.efficiency.elementwise.memory"]) {
      const sp = spread[path]!;
      expect(sp, path).to.not.equal(undefined);
      expect(sp.min, path).to.be.at.most(sp.median);
      expect(sp.median, path).to.be.at.most(sp.max);
      expect(sp.rangePct, path).to.be.closeTo(sp.median === 0 ? sp.rangePct : ((sp.max - sp.min) / sp.median) * 100, 0.5 + sp.rangePct * 0.01);
    }
    // The profile's own figures come from the per-kernel medians: within the repetitions' range of dispatch times.
    expect(cpu.dispatchUs).to.be.within(spread["processors.cpu.dispatchUs"]!.min * 0.99, spread["processors.cpu.dispatchUs"]!.max * 1.01);
    for (const c of r.cases) expect(c.samples, c.id).to.be.above(0);
  });

  it("says when the machine is loaded, and why", () => {
    const busy = finishLoadReport({ load1: 10, cores: 2, busy: 0.9 });
    expect(busy).to.include({ loaded: true, load1Before: 10, cores: 2, busyBefore: 0.9 });
    expect(busy.reason).to.equal("load average 10.0 on 2 cores before measuring; 90% of the cores busy with other work before measuring");
    const quiet = finishLoadReport({ load1: 0.2, cores: 4, busy: 0.05 });
    expect(quiet.loaded).to.equal(false);
    expect(quiet.reason).to.equal("quiet: load average 0.2 on 4 cores, 5% busy");
  });

  it("from the command line: a progress line on first use (also piped), silence after; a foreign profile gets a note", () => {
    const fresh = mkdtempSync(join(tmpdir(), "sparoa-cache-cli-"));
    try {
      const env = { ...process.env, SPAROA_CACHE_DIR: fresh, SPAROA_HOST_PROFILE_MODE: "smoke", SPAROA_PROGRESS_SECONDS: "0" };
      const plan = () => spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/sparoa.js"), "plan", join(FIXTURES, "tiny-cnn.onnx"), "--device", "host", "--json"], { encoding: "utf8", cwd: PROJECT_ROOT, env });
      const first = plan();
      expect(first.status, first.stderr).to.equal(0);
      expect(first.stderr).to.match(/^sparoa: measuring this machine for the host profile \(first use on this machine; smoke mode\); caching it in /m);
      expect(first.stderr).to.match(/^sparoa: profiling this machine: \d+\/\d+ after/m);
      expect(first.stderr).to.match(/^sparoa: host profile measured in [\d.]+ s/m);
      expect(JSON.parse(first.stdout).device).to.equal("host");
      const second = plan();
      expect(second.status, second.stderr).to.equal(0);
      expect(second.stderr).to.not.match(/measuring|profiling/);
      // --refresh measures again although the cache is valid, and says how loaded the machine was.
      const refresh = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/sparoa.js"), "profile", "--refresh"], { encoding: "utf8", cwd: PROJECT_ROOT, env });
      expect(refresh.status, refresh.stderr).to.equal(0);
      expect(refresh.stderr).to.match(/^sparoa: measuring this machine for the host profile \(--refresh; smoke mode\)/m);
      expect(refresh.stdout).to.match(/^Machine load: (LOADED|quiet) \(.+\)$/m);
      expect(refresh.stdout).to.match(/^wrote the live host profile cache \S+host-\w+-\d+t-smoke\.json \(\d+ ops measured in/m);
      const wrong = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/sparoa.js"), "profile", "--refresh", "--quick"], { encoding: "utf8", cwd: PROJECT_ROOT, env });
      expect(wrong.status).to.equal(1);
      expect(wrong.stderr).to.match(/^sparoa: error: --refresh re-measures the live host profile/);

      const foreign = JSON.parse(readFileSync(join(FIXTURES, "profiles", "host-2026-11-26.json"), "utf8")) as DeviceProfile;
      foreign.measured!.machine = { ...currentMachine(), cpuModel: "Some Other CPU", cores: 96 };
      const file = join(fresh, "elsewhere.json");
      writeFileSync(file, JSON.stringify(foreign));
      const noted = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/sparoa.js"), "plan", join(FIXTURES, "tiny-cnn.onnx"), "--device", file, "--json"], { encoding: "utf8", cwd: PROJECT_ROOT, env });
      expect(noted.status, noted.stderr).to.equal(0);
      const notes = noted.stderr.trim().split("\n").filter((l) => l.includes("note:"));
      expect(notes).to.deep.equal([`sparoa: note: profile ${file} was measured on a machine this one is not (CPU Some Other CPU -> ${currentMachine().cpuModel}, cores 96 -> ${currentMachine().cores}): its predictions describe that machine`]);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
