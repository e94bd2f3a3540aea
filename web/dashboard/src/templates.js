// Config templates of the submit form: configs/example.ini and configs/sweep.ini themselves, bundled at build time
// (esbuild's text loader), without their [input] and [output] sections (the form's input field and the server's
// default output take their place) and their comment header.
import exampleIni from "../../../configs/example.ini";
import sweepIni from "../../../configs/sweep.ini";

/** The config text without the [input] and [output] sections and without the leading comment lines. */
export function withoutFiles(ini, title) {
  const out = [];
  let skip = false;
  for (const line of ini.split("\n")) {
    const section = line.match(/^\s*\[([^\]]+)\]/);
    if (section) skip = section[1] === "input" || section[1] === "output";
    if (!skip) out.push(line);
  }
  while (out.length && (out[0].startsWith(";") || !out[0].trim())) out.shift();
  return `; ${title}\n${out.join("\n").trim()}\n`;
}

export const TEMPLATES = {
  "": "",
  example: withoutFiles(exampleIni, "configs/example.ini: three policies (none, tariff10, certificates) scored over 8 Monte Carlo draws"),
  sweep: withoutFiles(sweepIni, "configs/sweep.ini: 16 Latin-hypercube scenarios of three parameters"),
};

export const TEMPLATE_LABELS = { "": "(empty)", example: "example: 3 policies, 8 draws", sweep: "sweep: 16 scenarios" };
