#!/usr/bin/env node
// solc shim: makes solc-js (npm `solc`, WebAssembly) look like a native solc binary to py-solc-x.
//
// py-solc-x finds compilers by globbing `solc-v*` in $SOLCX_BINARY_PATH (default ~/.solcx) and
// only ever runs `solc --version` and `solc --standard-json [--base-path P] [--allow-paths P]`.
// scripts/setup.sh copies this file there as `solc-v<version>`, with SOLC_MODULE set to the
// project's node_modules/solc, so `ape compile` works with no native binary and no download.
// The shim is one file per user and version, shared by every checkout of the project (CI's
// clean clones included, which are deleted after their run): it loads the solc-js of the
// checkout it is run from (Ape runs it from the project's root) when that one is the same
// version, and the one setup named only otherwise.
//
// Plain `solcjs --standard-json` cannot be used instead: it prints a warning line before the JSON.
"use strict";

const fs = require("fs");
const path = require("path");

const SOLC_MODULE = "@@SOLC_MODULE@@";
const SOLC_VERSION = "@@SOLC_VERSION@@";

function solcModule() {
  const here = path.join(process.cwd(), "node_modules", "solc");
  try {
    if (JSON.parse(fs.readFileSync(path.join(here, "package.json"), "utf8")).version === SOLC_VERSION) {
      return here;
    }
  } catch (err) {
    // not a checkout with solc-js installed: the one setup named
  }
  return SOLC_MODULE;
}

function loadSolc() {
  const module = solcModule();
  try {
    return require(module);
  } catch (err) {
    process.stderr.write(
      `solc shim: cannot load solc-js from ${module} (${err.message}); ` + "run scripts/setup.sh again\n",
    );
    process.exit(2);
  }
}

function option(args, name) {
  const index = args.indexOf(name);
  return index >= 0 && index + 1 < args.length ? args[index + 1] : undefined;
}

function main(args) {
  if (args.includes("--version")) {
    const solc = loadSolc();
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return 0;
  }
  if (!args.includes("--standard-json")) {
    process.stderr.write("solc shim: only --version and --standard-json are supported\n");
    return 1;
  }
  const solc = loadSolc();
  const roots = [option(args, "--base-path"), ...(option(args, "--allow-paths") || "").split(",")]
    .filter(Boolean)
    .concat([process.cwd()]);
  // Sources normally arrive inline ("content"); this resolves any import that does not.
  const findImports = (importPath) => {
    for (const root of roots) {
      const candidate = path.resolve(root, importPath);
      if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
    }
    return { error: `File not found: ${importPath}` };
  };
  const input = fs.readFileSync(0, "utf8");
  process.stdout.write(solc.compile(input, { import: findImports }));
  return 0;
}

process.exitCode = main(process.argv.slice(2));
