// The web app's build (called by scripts/build-web.sh): esbuild bundles web/src/main.tsx (TSX with
// preact's automatic JSX runtime) into one minified ES module and one stylesheet, named by content
// hash, then writes web/dist/index.html from web/index.html with their names filled in. The old
// build is removed first, so web/dist holds exactly what index.html names.
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename } from "node:path";

const out = "web/dist";
rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}/assets`, { recursive: true });

const result = await build({
  entryPoints: ["web/src/main.tsx"],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  jsx: "automatic",
  jsxImportSource: "preact",
  outdir: `${out}/assets`,
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = outputs.find((n) => n.endsWith(".js"));
const css = outputs.find((n) => n.endsWith(".css"));
if (!js || !css) throw new Error(`build-web: expected one .js and one .css, got ${outputs.join(", ")}`);
const page = readFileSync("web/index.html", "utf8")
  .replace("%SCRIPT%", `/assets/${js}`)
  .replace("%STYLE%", `/assets/${css}`);
writeFileSync(`${out}/index.html`, page);
for (const [path, o] of Object.entries(result.metafile.outputs)) {
  console.log(`    ${basename(path)}  ${(o.bytes / 1024).toFixed(1)} KB`);
}
