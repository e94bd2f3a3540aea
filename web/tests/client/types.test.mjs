// The package's types stay true: src/schema.d.ts is what the pinned openapi-typescript makes of docs/openapi.json
// today (with the command of client/package.json's `types` script), usage.ts type-checks with the pinned tsc
// against index.d.ts, and index.d.ts declares exactly what index.js exports.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { WEB } from "./harness.mjs";

const CLIENT = join(WEB, "client");
const BIN = join(WEB, "node_modules", ".bin");

test("src/schema.d.ts is up to date with docs/openapi.json", () => {
  const script = JSON.parse(readFileSync(join(CLIENT, "package.json"), "utf8")).scripts.types;
  const args = script.split(/\s+/);
  assert.equal(args.shift(), "openapi-typescript");
  const o = args.indexOf("-o");
  assert.ok(o >= 0 && args[o + 1] === "src/schema.d.ts", script);
  const dir = mkdtempSync(join(tmpdir(), "tbtypes-"));
  try {
    args[o + 1] = join(dir, "schema.d.ts");
    execFileSync(join(BIN, "openapi-typescript"), args, { cwd: CLIENT, stdio: "pipe" });
    const fresh = readFileSync(args[o + 1], "utf8");
    const committed = readFileSync(join(CLIENT, "src", "schema.d.ts"), "utf8");
    if (fresh !== committed) {
      const a = committed.split("\n"), b = fresh.split("\n");
      let i = 0;
      while (i < a.length && a[i] === b[i]) i++;
      assert.fail(`web/client/src/schema.d.ts is stale against docs/openapi.json (first difference at line ${i + 1}:\n` +
        `  committed: ${a[i]}\n  generated: ${b[i]}\n): run \`npm run types\` in web/ and commit the result`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("tsc --noEmit: usage.ts against index.d.ts (strict)", () => {
  const p = spawnSync(join(BIN, "tsc"), ["--noEmit", "-p", join(WEB, "tests", "client")], { cwd: WEB, encoding: "utf8" });
  assert.equal(p.status, 0, `tsc failed:\n${p.stdout}${p.stderr}`);
});

test("index.d.ts declares every value index.js exports, and nothing else", async () => {
  const runtime = Object.keys(await import("@tradebal/client")).sort();
  const dts = readFileSync(join(CLIENT, "src", "index.d.ts"), "utf8");
  const declared = [...dts.matchAll(/^export declare (?:class|function|const) (\w+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(declared, runtime);
});
