#!/usr/bin/env node
/**
 * Builds the native checker (native/fast_check.cc -> build/fast_check.node) with the C++ compiler
 * at install time. N-API is ABI-stable, so one build serves every Node version >= 18 on the
 * machine. Optional by design: without a compiler (or headers) it prints why, exits 0, and the
 * server validates with ajv alone (it says so once at start). Run again with `node scripts/build.mjs`.
 *
 * The compiler is called directly rather than through node-gyp: node-gyp would fetch Node's headers
 * from nodejs.org (no network here) and needs make and python; the N-API headers come from the
 * `node-api-headers` npm package, or from the Node installation when that package is missing.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "build", "fast_check.node");

function headerDirs() {
  const dirs = [];
  try {
    const require = createRequire(import.meta.url);
    dirs.push(join(dirname(require.resolve("node-api-headers/package.json")), "include"));
  } catch {
    // not installed: fall back to the Node installation's own headers
  }
  dirs.push(resolve(dirname(process.execPath), "..", "include", "node"));
  return dirs.filter((d) => existsSync(join(d, "node_api.h")));
}

function skip(reason) {
  process.stdout.write(
    `@uns/fast-check: native checker not built (${reason}); validation will use ajv only\n`,
  );
  process.exit(0);
}

if (process.platform === "win32") skip("Windows builds are not set up");
const include = headerDirs()[0];
if (!include) skip("no node_api.h found");
const cxx = process.env.CXX || "c++";
const tmp = `${out}.${process.pid}.tmp`;
try {
  mkdirSync(dirname(out), { recursive: true });
  const args = ["-std=c++17", "-O2", "-fPIC", "-shared", "-fvisibility=hidden", `-I${include}`];
  // macOS resolves the N-API symbols from the node binary at load time only when told to.
  if (process.platform === "darwin") args.push("-undefined", "dynamic_lookup");
  args.push(join(root, "native", "fast_check.cc"), "-o", tmp);
  execFileSync(cxx, args, { stdio: ["ignore", "inherit", "inherit"], timeout: 240_000 });
  renameSync(tmp, out);
  process.stdout.write(`@uns/fast-check: built ${out}\n`);
} catch (e) {
  rmSync(tmp, { force: true });
  skip(`${cxx} failed: ${e.message.split("\n")[0]}`);
}
