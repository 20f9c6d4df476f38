/**
 * What loading the contracts costs, without and with the contract cache (contracts.cache): the
 * server's loader thread (libs/contracts isolated-loader) on a folder, cold (empty cache: every
 * document parsed), warm (every document from the cache) and after one document changed.
 * Wall time and CPU of the whole process (the loader thread included), medians of --rounds.
 *
 *   node apps/server/bench/dist/contract-load.js [--dir asyncapi] [--rounds 3]
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadContractsIsolated } from "@uns/contracts";

const { values } = parseArgs({
  options: { dir: { type: "string" }, rounds: { type: "string", default: "3" } },
});
const source = resolve(values.dir ?? fileURLToPath(new URL("../../../../asyncapi", import.meta.url)));
const rounds = Number(values.rounds);
const work = mkdtempSync(join(tmpdir(), "uns-contract-load-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
const dir = join(work, "asyncapi");
cpSync(source, dir, { recursive: true });
const docs = readdirSync(dir).filter((n) => /\.(ya?ml|json)$/i.test(n));

async function once(cacheDir: string | undefined) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await loadContractsIsolated(dir, {
    standby: false,
    timeoutMs: 300_000,
    ...(cacheDir ? { cacheDir } : {}),
  });
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(cpu0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000, cache: r.cache, channels: r.set.channels.length };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: Record<string, { wall: number[]; cpu: number[]; note: string }> = {};
const add = (name: string, r: Awaited<ReturnType<typeof once>>) => {
  rows[name] ??= { wall: [], cpu: [], note: "" };
  rows[name].wall.push(r.wallMs);
  rows[name].cpu.push(r.cpuMs);
  rows[name].note = r.cache ? `${r.cache.hits} cached, ${r.cache.misses} parsed` : "no cache";
};

const first = docs[0]!;
const original = readFileSync(join(dir, first), "utf8");
for (let i = 0; i < rounds; i++) {
  const cacheDir = join(work, `cache-${i}`);
  add("no cache", await once(undefined));
  add("cold (empty cache)", await once(cacheDir));
  add("warm (all cached)", await once(cacheDir));
  writeFileSync(join(dir, first), `${original}\n# edited ${i}\n`);
  add(`one changed (${first})`, await once(cacheDir));
  writeFileSync(join(dir, first), original);
}
console.log(`${docs.length} documents in ${source}; medians of ${rounds} round(s)`);
console.log("load                            wall ms    CPU ms");
for (const [name, r] of Object.entries(rows)) {
  console.log(
    `${name.padEnd(30)} ${median(r.wall).toFixed(0).padStart(8)} ${median(r.cpu).toFixed(0).padStart(9)}   ${r.note}`,
  );
}
