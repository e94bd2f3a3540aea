// The browser suite's fixtures: a real `tradebal serve` over a fresh data root with real runs, and headless Chromium
// (Debian's, driven by puppeteer-core) that fails the test on any console error, page error or failed request.
// Servers, runs and browsers are stopped on every way out: the tests' after hooks, and exit or a signal.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, mkdirSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import { createTradebal } from "@tradebal/client";

export const WEB = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ROOT = resolve(WEB, "..");
export const TB = process.env.TRADEBAL_EXE || resolve(WEB, "..", "build", "tradebal");
export const CHROME = process.env.CHROME_PATH || "/usr/bin/chromium";
export const DIST = join(WEB, "dashboard", "dist");

const cleanups = new Set();
function cleanupAll() {
  for (const f of [...cleanups].reverse()) { // last started, first stopped: the data root goes last
    try {
      f();
    } catch {}
  }
  cleanups.clear();
}
process.on("exit", cleanupAll);

// a test file run by `node --test` whose runner was killed: stop what it started rather than run on alone (its
// output, a pipe to the runner, breaks at the first write; else its parent changes)
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (e) => {
    if (e.code !== "EPIPE") throw e;
    cleanupAll();
    process.exit(1);
  });
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) {
    cleanupAll();
    process.exit(1);
  }
}, 500).unref();
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"])
  process.once(sig, () => {
    cleanupAll();
    process.kill(process.pid, sig);
  });

function tradebal(args, opts = {}) {
  const p = spawnSync(TB, args, { encoding: "utf8", ...opts });
  if (p.error) throw p.error;
  if (p.status !== 0) throw new Error(`tradebal ${args.join(" ")} exited ${p.status}: ${p.stderr}`);
  return p.stdout;
}

/** A fresh data root with inputs/small.h5 (200 entities, 2000 deals, seed 7). */
export function makeDataRoot() {
  const dir = mkdtempSync(join(tmpdir(), "tb-dash-"));
  mkdirSync(join(dir, "inputs"));
  const remove = () => { if (!process.env.TB_KEEP) rmSync(dir, { recursive: true, force: true }); };
  removers.set(dir, remove);
  cleanups.add(remove);
  tradebal(["generate", "-o", join(dir, "inputs", "small.h5"), "--entities", "200", "--deals", "2000", "--seed", "7"]);
  return dir;
}
const removers = new Map();

/** `tradebal serve` on a free loopback port over dataRoot, serving the dashboard built in webRoot; {url, token, client, stop}. */
export async function startServer(dataRoot, { webRoot = DIST, timeoutMs = 30000 } = {}) {
  const dir = join(dataRoot, ".serve");
  mkdirSync(dir, { recursive: true });
  const tokenFile = join(dir, "tokens");
  const token = tradebal(["serve", "token", "--file", tokenFile, "--scopes", "submit", "--name", "browser-tests"]).trim();
  const portFile = join(dir, "port");
  const log = join(dir, "stderr.log");
  const sets = [`server.port=0`, `server.port_file=${portFile}`, `server.data_root=${dataRoot}`, `server.token_file=${tokenFile}`,
    `server.state_dir=${join(dir, "state")}`, `server.web_root=${webRoot}`, `runs.max_running=1`];
  const fd = openSync(log, "a");
  // in this process group (not detached), so a kill of the group (Ctrl-C, a test driver's timeout) reaches it
  const proc = spawn(TB, ["serve", ...sets.flatMap((s) => ["--set", s])], {
    stdio: ["ignore", fd, fd],
    env: { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: "1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: "1" },
  });
  closeSync(fd);
  let exited = null;
  proc.on("exit", (code, sig) => (exited = { code, sig }));
  const kill = () => {
    if (exited) return;
    try {
      process.kill(proc.pid, "SIGKILL");
    } catch {}
  };
  cleanups.add(kill);
  const t0 = Date.now();
  while (!existsSync(portFile) || !readFileSync(portFile, "utf8").trim()) {
    if (exited) throw new Error(`tradebal serve exited (${JSON.stringify(exited)}): ${readFileSync(log, "utf8").slice(-2000)}`);
    if (Date.now() - t0 > timeoutMs) (kill(), (() => { throw new Error(`tradebal serve did not start: ${readFileSync(log, "utf8").slice(-2000)}`); })());
    await new Promise((r) => setTimeout(r, 20));
  }
  const url = `http://127.0.0.1:${readFileSync(portFile, "utf8").trim()}`;
  const client = createTradebal({ baseUrl: url, token });
  return {
    url, token, client, log,
    /** Cancel what still runs, then SIGTERM (SIGKILL after 10 s); resolves with the exit code. */
    async stop() {
      if (exited) return exited.code;
      try {
        const { runs } = await client.call("GET", "/v1/runs", { params: { query: { limit: 1000 } } });
        for (const r of runs.filter((r) => r.state === "queued" || r.state === "running"))
          await client.call("POST", "/v1/runs/{id}/cancel", { params: { path: { id: r.id } } }).catch(() => {});
      } catch {}
      const done = new Promise((r) => (exited ? r() : proc.once("exit", r)));
      try {
        process.kill(proc.pid, "SIGTERM");
      } catch {}
      const timer = setTimeout(kill, 10000);
      await done;
      clearTimeout(timer);
      cleanups.delete(kill);
      return exited?.code;
    },
  };
}

/** Submit a run through the API and wait for its end by long polls; returns the final run. */
export async function runToEnd(client, body, timeoutMs = 60000) {
  let run = await client.call("POST", "/v1/runs", { body });
  const t0 = Date.now();
  while (run.state === "queued" || run.state === "running") {
    if (Date.now() - t0 > timeoutMs) throw new Error(`run ${run.id} still ${run.state} after ${timeoutMs} ms`);
    run = await client.call("GET", "/v1/runs/{id}", { params: { path: { id: run.id }, query: { wait: 20, since: run.state } } });
  }
  return run;
}

/** Headless Chromium and one page that records every console error, page error and failed request in `errors`. */
export async function launchBrowser({ width = 1366, height = 768 } = {}) {
  const browser = await puppeteer.launch({
    executablePath: CHROME, headless: true,
    pipe: true, // DevTools over a pipe: Chromium ends when this process does, however it ends
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions", "--lang=en-US"],
  });
  const pid = browser.process()?.pid;
  const kill = () => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  };
  cleanups.add(kill);
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  const errors = [];
  const warnings = [];
  page.on("console", (m) => {
    const where = m.location()?.url ? ` (${m.location().url}:${m.location().lineNumber})` : "";
    if (m.type() === "error") errors.push(`console error: ${m.text()}${where}`);
    else if (m.type() === "warn") warnings.push(`console warning: ${m.text()}${where}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  page.on("response", (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`); });
  page.on("requestfailed", (r) => {
    const why = r.failure()?.errorText ?? "";
    if (why !== "net::ERR_ABORTED") errors.push(`request failed: ${r.url()} ${why}`);
  });
  return {
    browser, page, errors, warnings,
    async close() {
      await browser.close().catch(kill);
      cleanups.delete(kill);
    },
  };
}

export function removeDataRoot(dir) {
  const remove = removers.get(dir);
  if (!remove) return;
  cleanups.delete(remove);
  removers.delete(dir);
  remove();
}
