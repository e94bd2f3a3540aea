// Builds the dashboard into dist/ (served by `tradebal serve` at /): one bundled script and one stylesheet, made
// by esbuild from src/ (uPlot and the client included), and index.html. Nothing is fetched at run time.
//   node build.mjs            (npm run build, in web/ or web/dashboard/)
//   node build.mjs --watch    (rebuilds on every change while developing)
import * as esbuild from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const DIST = join(HERE, "dist");

const options = {
  entryPoints: { app: join(HERE, "src", "main.js") },
  bundle: true,
  outdir: DIST,
  format: "esm",
  target: ["chrome100", "firefox100", "safari15"],
  minify: true,
  sourcemap: true,
  legalComments: "linked",
  logLevel: "warning",
  metafile: true,
  loader: { ".ini": "text" }, // the submit form's templates are configs/*.ini themselves
};

/** Build dist/ (or outdir) from src/; returns esbuild's metafile (the bundle's inputs and outputs). */
export async function build({ outdir = DIST } = {}) {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const result = await esbuild.build({ ...options, outdir });
  await copyFile(join(HERE, "src", "index.html"), join(outdir, "index.html"));
  return result.metafile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--watch")) {
    await mkdir(DIST, { recursive: true });
    await copyFile(join(HERE, "src", "index.html"), join(DIST, "index.html"));
    const ctx = await esbuild.context(options);
    await ctx.watch();
    console.log(`watching src/, writing ${DIST}`);
  } else {
    const meta = await build();
    for (const [name, out] of Object.entries(meta.outputs))
      if (!name.endsWith(".map")) console.log(`${name.replace(HERE + "/", "")} ${(out.bytes / 1024).toFixed(1)} KiB`);
  }
}
