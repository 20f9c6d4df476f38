#!/usr/bin/env node
// Prints the size of the built console (dist/), raw and gzip (level 9, as a server would send it),
// per file and in total, and what the first visit (the Overview) loads. Run after `vite build`.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else files.push(p);
  }
};
walk(dist);

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const rows = files
  .map((p) => {
    const buf = readFileSync(p);
    return { file: p.slice(dist.length), raw: buf.length, gzip: gzipSync(buf, { level: 9 }).length };
  })
  .sort((a, b) => b.gzip - a.gzip);

// What index.html pulls in directly (the app chunk and its CSS) is the first visit's download.
const html = readFileSync(join(dist, "index.html"), "utf8");
const initial = rows.filter((r) => r.file === "index.html" || html.includes(r.file.replace(/\\/g, "/")));
const sum = (rs, k) => rs.reduce((s, r) => s + r[k], 0);

for (const r of rows)
  console.log(`${r.file.padEnd(48)} ${kb(r.raw).padStart(11)} ${kb(r.gzip).padStart(11)} gzip`);
console.log(
  `${"total".padEnd(48)} ${kb(sum(rows, "raw")).padStart(11)} ${kb(sum(rows, "gzip")).padStart(11)} gzip`,
);
console.log(
  `${"first visit (index.html + what it loads)".padEnd(48)} ${kb(sum(initial, "raw")).padStart(11)} ${kb(sum(initial, "gzip")).padStart(11)} gzip`,
);
