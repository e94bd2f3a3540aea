// A real `tradebal serve` for the client's tests (as tests/serve/conftest.py starts one): a data root in a temp
// folder with a generated input, tokens made by `tradebal serve token`, port 0 and a port file. Every server and
// every run process it started is stopped by stopAll() (the tests call it in `after`, which runs on failure too),
// and the data roots are removed.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, "..", "..", ".."); // the repository
export const WEB = join(ROOT, "web");
/** The program: TRADEBAL_EXE (CTest sets it), else build/tradebal of this repository. */
export const TB = process.env.TRADEBAL_EXE || join(ROOT, "build", "tradebal");

const servers = new Set();
const roots = new Set();

export function tradebal(...args) {
  const p = spawnSync(TB, args, { encoding: "utf8" });
  if (p.error) throw p.error;
  if (p.status !== 0) throw new Error(`tradebal ${args.join(" ")}: exit ${p.status}: ${p.stderr}`);
  return p.stdout;
}

/** A fresh data root holding inputs/small.h5 (200 entities, 2000 deals, seed 7: the input of docs/api.md). */
export function makeDataRoot() {
  const base = process.env.TB_WORK || tmpdir();
  mkdirSync(base, { recursive: true });
  const d = mkdtempSync(join(base, "tbclient-"));
  roots.add(d);
  mkdirSync(join(d, "inputs"));
  tradebal("generate", "-o", join(d, "inputs", "small.h5"), "--entities", "200", "--deals", "2000", "--seed", "7");
  return d;
}

/** Make tokens {name: token} with the given scopes into a token file (a fresh file when `fresh`). */
export function makeTokens(file, scopes, { fresh = false } = {}) {
  if (fresh && existsSync(file)) rmSync(file);
  const out = {};
  for (const [name, scope] of Object.entries(scopes)) {
    out[name] = tradebal("serve", "token", "--file", file, "--scopes", scope, "--name", name).trim();
  }
  return out;
}

/**
 * Start `tradebal serve` over dataRoot (its state under dataRoot/.NAME/state, so a second server of the same
 * name picks up its runs). sets: more `--set section.key=value`. tokenFile: use this one (else a fresh file with
 * a `read` and a `submit` token). port: a fixed port (default 0: a free one). Resolves to
 * {url, port, tokens, proc, stderr(), stop()}.
 */
export async function startServer(dataRoot, { name = "server", sets = [], tokenFile, tokens, port = 0, timeout = 30000 } = {}) {
  const dir = join(dataRoot, `.${name}`);
  mkdirSync(dir, { recursive: true });
  if (!tokenFile) {
    tokenFile = join(dir, "tokens");
    tokens = makeTokens(tokenFile, { read: "read", submit: "submit" }, { fresh: true });
  }
  const portFile = join(dir, "port");
  rmSync(portFile, { force: true });
  const log = join(dir, "stderr.log");
  const args = ["serve"];
  for (const s of [`server.port=${port}`, `server.port_file=${portFile}`, `server.data_root=${dataRoot}`,
    `server.token_file=${tokenFile}`, `server.state_dir=${join(dir, "state")}`, "runs.threads=1", ...sets]) {
    args.push("--set", s);
  }
  const env = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: "1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1" };
  delete env.LD_PRELOAD;
  const { openSync, closeSync } = await import("node:fs");
  const fd = openSync(log, "a");
  const proc = spawn(TB, args, { stdio: ["ignore", fd, fd], env, detached: true });
  closeSync(fd);
  const exited = new Promise((res) => proc.once("exit", (code, sig) => res(code ?? sig)));
  const s = {
    proc, dir, stateDir: join(dir, "state"), tokens, tokenFile,
    stderr: () => readFileSync(log, "utf8"),
    async stop(sig = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill(sig);
        const t = setTimeout(() => proc.kill("SIGKILL"), 20000);
        await exited;
        clearTimeout(t);
      }
      servers.delete(s);
    },
  };
  servers.add(s);
  const t0 = Date.now();
  while (!existsSync(portFile) || !readFileSync(portFile, "utf8").trim()) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`tradebal serve exited ${proc.exitCode ?? proc.signalCode}: ${s.stderr().slice(-2000)}`);
    }
    if (Date.now() - t0 > timeout) {
      await s.stop("SIGKILL");
      throw new Error(`tradebal serve did not start: ${s.stderr().slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  s.port = Number(readFileSync(portFile, "utf8"));
  s.url = `http://127.0.0.1:${s.port}`;
  return s;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kill the process groups of runs (a monitor and its program) still going under a data root's state folders. */
function killRuns(dataRoot) {
  let killed = 0;
  for (const sdir of readdirSync(dataRoot).filter((n) => n.startsWith("."))) {
    const runs = join(dataRoot, sdir, "state", "runs");
    if (!existsSync(runs)) continue;
    for (const id of readdirSync(runs)) {
      const f = join(runs, id, "pid");
      if (!existsSync(f)) continue;
      const pid = Number(readFileSync(f, "utf8"));
      if (!pid || !alive(pid)) continue;
      // the monitor is the leader of its own session and process group; the program runs in that group
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      try {
        process.kill(-pgid, "SIGKILL");
        killed++;
      } catch { /* gone meanwhile */ }
    }
  }
  return killed;
}

/** The same at once, for a test process that ends without its `after` hooks (a signal, process.exit). */
function cleanupSync() {
  for (const s of servers) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill("SIGKILL");
  for (const d of roots) {
    try {
      killRuns(d);
    } catch { /* best effort */ }
    rmSync(d, { recursive: true, force: true });
  }
}
process.once("exit", cleanupSync);
for (const [sig, n] of [["SIGINT", 2], ["SIGTERM", 15]]) {
  process.once(sig, () => {
    cleanupSync();
    process.exit(128 + n);
  });
}

/** Stop every server this process started, kill the runs they left going, remove the data roots. */
export async function stopAll() {
  for (const s of [...servers]) await s.stop();
  for (const d of roots) {
    try {
      killRuns(d);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  }
  roots.clear();
}

/** A copy of `tradebal` behind a shell script that sleeps `seconds` first: runs that last long enough to watch. */
export function slowProgram(dataRoot, seconds) {
  const f = join(dataRoot, ".slow-tradebal.sh");
  writeFileSync(f, `#!/bin/sh\nsleep ${seconds}\nexec '${TB}' "$@"\n`);
  chmodSync(f, 0o755);
  return f;
}

/** A small run's config text: [backend] threads = 1 (2-core machines), 3 assessment draws. */
export const SMALL_RUN = "[backend]\nthreads = 1\n[assessment]\ndraws = 3\n";
