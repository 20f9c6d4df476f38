/**
 * A cache of parsed AsyncAPI documents, one file per document, so a restart or a reload of
 * unchanged documents skips the AsyncAPI parser (spectral's ruleset costs about a second of CPU
 * per document). An entry is keyed by a hash of everything the parse result depends on: the
 * document's text and name, the text of every file it references (or that one is missing), the
 * parser's and spectral's versions and this package's own code. A changed file, reference or
 * upgrade is a miss. An entry that does not check out (wrong format, checksum, key or shape) is
 * ignored with a warning and replaced; nothing read from the cache is trusted blindly.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChannelSpec } from "./contract-set.js";
import type { Diagnostic } from "./diagnostics.js";

/** Bump when the shape of an entry changes. */
const FORMAT = "uns-contract-cache/1";
const ENTRY = /^[0-9a-f]{64}\.json$/;
const SEVERITIES = new Set(["error", "warning", "info", "hint"]);

/** What a document's parse produced, as cached. */
export interface CachedParse {
  title: string;
  version: string;
  asyncapiVersion: string;
  ok: boolean;
  channels: ChannelSpec[];
  diagnostics: Diagnostic[];
}

/** A file a document depends on: its text, or null when it could not be read. */
export interface Dependency {
  path: string;
  text: string | null;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Entries ignored or not written, each naming the file and why. */
  warnings: string[];
}

export interface ContractCacheOptions {
  /** The cache folder (created when missing). */
  dir: string;
  /** The contracts folder the documents are in (see `cacheKey`). */
  root: string;
  /** Entries kept at most; the least recently used beyond it are deleted after a load (default 256). */
  maxEntries?: number;
}

let toolFingerprint: string | undefined;

/** The versions of the parser and spectral, and this package's code: an upgrade is a miss. */
function fingerprint(): string {
  if (toolFingerprint) return toolFingerprint;
  const h = createHash("sha256").update(FORMAT);
  const require = createRequire(import.meta.url);
  try {
    const parserPkg = require.resolve("@asyncapi/parser/package.json");
    h.update(readFileSync(parserPkg));
    // spectral is the parser's dependency: resolve it from there.
    const fromParser = createRequire(parserPkg);
    for (const dep of [
      "@stoplight/spectral-core",
      "@stoplight/spectral-functions",
      "@stoplight/spectral-parsers",
    ]) {
      try {
        h.update(readFileSync(join(packageRoot(fromParser.resolve(dep)), "package.json")));
      } catch {
        h.update(`${dep}:?`);
      }
    }
  } catch {
    h.update("parser:?");
  }
  // This package's own modules (how a document becomes channels), tests left out.
  const here = dirname(fileURLToPath(import.meta.url));
  for (const name of readdirSync(here).sort()) {
    if (!/\.(js|ts)$/.test(name) || /\.(test|d)\.ts$/.test(name)) continue;
    h.update(`${name}\u0000`).update(readFileSync(join(here, name)));
  }
  toolFingerprint = h.digest("hex");
  return toolFingerprint;
}

/** The folder holding a resolved module's package.json. */
function packageRoot(file: string): string {
  let dir = dirname(file);
  for (let i = 0; i < 10; i++) {
    try {
      statSync(join(dir, "package.json"));
      return dir;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error(`no package.json above ${file}`);
}

/** Stands for the contracts folder's absolute path (with a trailing separator) in entries. */
const ROOT_TOKEN = "\u0000uns-contracts-root\u0000/";

/** `text` with the folder's absolute path (as JSON text escapes it) swapped for `to`. */
function swapRoot(text: string, root: string, toToken: boolean): string {
  const rootJson = JSON.stringify(`${resolve(root)}${sep}`).slice(1, -1);
  const tokenJson = JSON.stringify(ROOT_TOKEN).slice(1, -1);
  return toToken ? text.split(rootJson).join(tokenJson) : text.split(tokenJson).join(rootJson);
}

/**
 * The key of a document's entry: what its parse result depends on. `root` is the contracts
 * folder; the document's name and its references are keyed relative to it.
 */
export function cacheKey(
  root: string,
  file: string,
  text: string,
  dependencies: readonly Dependency[],
): string {
  const h = createHash("sha256").update(fingerprint());
  const abs = `${resolve(root)}${sep}`;
  const rel = (p: string) => (p.startsWith(abs) ? ROOT_TOKEN + p.slice(abs.length) : p);
  // The name as given (relative or absolute) and where it resolves: both appear in results.
  h.update(`\u0000${rel(file)}\u0000${rel(resolve(file))}\u0000`).update(text);
  const deps = dependencies.map((d) => ({ path: rel(d.path), text: d.text }));
  for (const d of deps.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const content = d.text === null ? "missing" : createHash("sha256").update(d.text).digest("hex");
    h.update(`\u0000${d.path}\u0000${content}`);
  }
  return h.digest("hex");
}

const isStr = (v: unknown): v is string => typeof v === "string";
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function validDiagnostic(d: unknown): boolean {
  return (
    isObj(d) &&
    isStr(d.file) &&
    isStr(d.message) &&
    isStr(d.path) &&
    isStr(d.code) &&
    SEVERITIES.has(d.severity as string) &&
    (d.line === undefined || Number.isInteger(d.line)) &&
    (d.column === undefined || Number.isInteger(d.column))
  );
}

function validSchema(s: unknown): boolean {
  return s === null || typeof s === "boolean" || isObj(s);
}

function validChannel(c: unknown): boolean {
  if (!isObj(c)) return false;
  if (!(isStr(c.id) && isStr(c.file) && isStr(c.title) && isStr(c.version))) return false;
  if (!(c.address === null || isStr(c.address)) || !(c.filter === null || isStr(c.filter))) return false;
  if (c.description !== undefined && !isStr(c.description)) return false;
  if (!isObj(c.parameters) || !Object.values(c.parameters).every(validSchema)) return false;
  return (
    Array.isArray(c.messages) &&
    c.messages.every(
      (m: unknown) =>
        isObj(m) &&
        isStr(m.name) &&
        isStr(m.contentType) &&
        isStr(m.schemaFormat) &&
        validSchema(m.payload) &&
        typeof m.supported === "boolean" &&
        (m.unsupportedReason === undefined || isStr(m.unsupportedReason)) &&
        (m.title === undefined || isStr(m.title)) &&
        Array.isArray(m.examples),
    )
  );
}

/** The entry's body if it has the shape of a `CachedParse`, else null. */
function asCachedParse(v: unknown): CachedParse | null {
  if (!isObj(v)) return null;
  const ok =
    isStr(v.title) &&
    isStr(v.version) &&
    isStr(v.asyncapiVersion) &&
    typeof v.ok === "boolean" &&
    Array.isArray(v.channels) &&
    v.channels.every(validChannel) &&
    Array.isArray(v.diagnostics) &&
    v.diagnostics.every(validDiagnostic);
  return ok ? (v as unknown as CachedParse) : null;
}

/**
 * One load's view of the cache: `get` and `put` per document, `finish` to prune. Every failure
 * (unreadable folder, corrupt entry, full disk) becomes a warning in `stats`, never an error:
 * the cache can only make a load faster, not break it.
 */
export function openContractCache(options: ContractCacheOptions) {
  const dir = options.dir;
  const maxEntries = options.maxEntries ?? 256;
  const stats: CacheStats = { hits: 0, misses: 0, warnings: [] };
  const used = new Set<string>();
  let writable = true;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    writable = false;
    stats.warnings.push(
      `contract cache ${dir} cannot be created (${(e as Error).message}); documents are parsed every load`,
    );
  }
  const entryPath = (key: string) => join(dir, `${key}.json`);

  return {
    stats,
    /** The cached parse for `key`, or null (missing, or ignored with a warning). */
    get(key: string, file: string): CachedParse | null {
      const path = entryPath(key);
      let raw: string;
      try {
        raw = readFileSync(path, "utf8");
      } catch {
        stats.misses++;
        return null;
      }
      const ignore = (why: string) => {
        stats.warnings.push(
          `contract cache entry ${path} for ${file} ignored: ${why}; the document is parsed again`,
        );
        stats.misses++;
        return null;
      };
      // Line 1: a header naming the format, the key and the body's checksum; line 2: the body.
      const nl = raw.indexOf("\n");
      if (nl < 0) return ignore("no header line (truncated or not a cache file)");
      let header: unknown;
      try {
        header = JSON.parse(raw.slice(0, nl));
      } catch {
        return ignore("the header is not JSON");
      }
      if (!isObj(header) || header.format !== FORMAT) return ignore(`not a ${FORMAT} file`);
      if (header.key !== key) return ignore("it was written for another document");
      const body = raw.slice(nl + 1);
      if (createHash("sha256").update(body).digest("hex") !== header.sha256)
        return ignore("its checksum does not match");
      let value: unknown;
      try {
        value = JSON.parse(swapRoot(body, options.root, false));
      } catch {
        return ignore("the body is not JSON");
      }
      const parsed = asCachedParse(value);
      if (!parsed) return ignore("the body does not have the shape of a parse result");
      stats.hits++;
      used.add(key);
      try {
        const now = new Date();
        utimesSync(path, now, now); // most recently used: kept by the pruning
      } catch {
        // read-only: pruning order is then by write time
      }
      return parsed;
    },
    /** A document that cannot be cached (it references a URL): parsed, counted as a miss. */
    skip(): void {
      stats.misses++;
    },
    /** Store a parse; written atomically (temporary file, then rename). */
    put(key: string, value: CachedParse): void {
      used.add(key);
      if (!writable) return;
      const body = swapRoot(JSON.stringify(value), options.root, true);
      const header = JSON.stringify({
        format: FORMAT,
        key,
        sha256: createHash("sha256").update(body).digest("hex"),
      });
      const tmp = join(dir, `.${key}.${randomBytes(4).toString("hex")}.tmp`);
      try {
        writeFileSync(tmp, `${header}\n${body}`);
        renameSync(tmp, entryPath(key));
      } catch (e) {
        writable = false;
        stats.warnings.push(
          `contract cache ${dir} cannot be written (${(e as Error).message}); documents are parsed every load`,
        );
        try {
          unlinkSync(tmp);
        } catch {
          // not created
        }
      }
    },
    /** Delete the least recently used entries beyond maxEntries (never one this load used). */
    finish(): void {
      if (!writable) return;
      try {
        const entries = readdirSync(dir)
          .filter((n) => ENTRY.test(n) && !used.has(n.slice(0, 64)))
          .map((n) => ({ n, t: statSync(join(dir, n)).mtimeMs }))
          .sort((a, b) => b.t - a.t);
        const keep = Math.max(0, maxEntries - used.size);
        for (const e of entries.slice(keep)) unlinkSync(join(dir, e.n));
        // Temporary files a killed writer left behind (a live one renames its file in ms).
        for (const n of readdirSync(dir)) {
          if (
            n.startsWith(".") &&
            n.endsWith(".tmp") &&
            Date.now() - statSync(join(dir, n)).mtimeMs > 600_000
          )
            unlinkSync(join(dir, n));
        }
      } catch (e) {
        stats.warnings.push(`contract cache ${dir} not pruned: ${(e as Error).message}`);
      }
    },
  };
}

export type ContractCache = ReturnType<typeof openContractCache>;
