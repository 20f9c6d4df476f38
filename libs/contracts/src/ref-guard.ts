import { readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type Diagnostic,
  isPlainObject,
  parseYamlSource,
  positionOf,
  toJsonPath,
  type YamlSource,
} from "./diagnostics.js";

/**
 * Checks a contract's `$ref`s before the AsyncAPI parser sees it. The parser (through spectral's
 * resolver) would fetch any http(s) URL on every load, read any file the server user can read,
 * and loop for ever on a reference chain that never reaches a value (`A: {$ref: B}`,
 * `B: {$ref: A}`). Here a reference may only name a file inside the contracts folder (symlinks
 * resolved), or an http(s) URL on an allowed host; every chain of references must end within
 * `maxRefDepth` steps. Recursive schemas (a reference inside a schema's properties back to the
 * schema) are not chains and stay allowed: the loader turns them into `$defs` for ajv.
 */
export interface RefGuardOptions {
  /** The contracts folder: references resolve inside it only. */
  root: string;
  /** Host names (or host:port) whose http(s) URLs may be referenced; default none. */
  allowedRefHosts: readonly string[];
  /** Longest chain of references (and of files referencing files) followed. */
  maxRefDepth: number;
  /** Largest referenced file read, in bytes. */
  maxFileBytes: number;
  /** yaml's alias expansion limit for every file read. */
  maxAliasCount: number;
  /**
   * Told of every other file the document reaches by reference, with its text (null when it
   * cannot be read), and of every URL left for the parser to fetch: what the parse depends on.
   */
  onDependency?: (dep: { path: string; text: string | null } | { url: string }) => void;
}

interface LoadedFile {
  src: YamlSource;
  value: unknown;
}

interface RefSite {
  file: string;
  path: (string | number)[];
  ref: string;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** RFC 6901 JSON pointer (after `#`), or undefined for a plain-name fragment. */
function pointerParts(fragment: string): string[] | undefined {
  if (fragment === "") return [];
  if (!fragment.startsWith("/")) return undefined;
  let decoded = fragment;
  try {
    decoded = decodeURIComponent(fragment);
  } catch {
    // keep it as written
  }
  return decoded
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function at(value: unknown, parts: readonly string[]): unknown {
  let cur = value;
  for (const p of parts) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isPlainObject(cur)) cur = cur[p];
    else return undefined;
  }
  return cur;
}

/**
 * Check every `$ref` reachable from a document (`value` is its parsed YAML). Returns error
 * diagnostics naming the file, the JSON path and the line of each reference refused.
 */
export function checkReferences(
  file: string,
  src: YamlSource,
  value: unknown,
  options: RefGuardOptions,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const rootReal = safeRealpath(options.root) ?? resolve(options.root);
  const files = new Map<string, LoadedFile | null>([[resolve(file), { src, value }]]);
  const hosts = new Set(options.allowedRefHosts.map((h) => h.toLowerCase()));

  const fail = (site: RefSite, message: string, code: string) => {
    const loaded = files.get(resolve(site.file));
    diagnostics.push({
      file: site.file,
      severity: "error",
      message,
      path: toJsonPath([...site.path, "$ref"]),
      ...(loaded ? positionOf(loaded.src, site.path) : {}),
      code,
    });
  };

  /** Read a referenced file once; null when it cannot be used (reported, or left to the parser). */
  const load = (target: string, site: RefSite): LoadedFile | null => {
    if (files.has(target)) return files.get(target)!;
    let loaded: LoadedFile | null = null;
    let text: string | null = null;
    try {
      const size = statSync(target).size;
      if (size > options.maxFileBytes) {
        fail(
          site,
          `$ref "${site.ref}" names a file of ${size} bytes; contracts.maxFileBytes allows ${options.maxFileBytes}`,
          "UNS_ERR_CONTRACT_TOO_LARGE",
        );
      } else {
        text = readFileSync(target, "utf8");
        const refSrc = parseYamlSource(text, target, "UNS_ERR_CONTRACT_PARSE");
        // Syntax errors in the referenced file are the parser's to report, with its position.
        if (!refSrc.diagnostics.some((d) => d.severity === "error")) {
          try {
            loaded = { src: refSrc, value: refSrc.doc.toJS({ maxAliasCount: options.maxAliasCount }) };
          } catch (e) {
            fail(site, `$ref "${site.ref}": ${(e as Error).message}`, "UNS_ERR_CONTRACT_LIMIT");
          }
        }
      }
    } catch {
      // A missing file: the parser reports it as invalid-ref, with its position.
    }
    files.set(target, loaded);
    options.onDependency?.({ path: target, text });
    return loaded;
  };

  /** Where a reference points: a file (absolute) and a pointer, or null when refused/external. */
  const target = (site: RefSite): { file: string; parts: string[] | undefined } | null => {
    const hash = site.ref.indexOf("#");
    const uri = hash < 0 ? site.ref : site.ref.slice(0, hash);
    const parts = pointerParts(hash < 0 ? "" : site.ref.slice(hash + 1));
    if (uri === "") return { file: resolve(site.file), parts };
    const scheme = SCHEME.exec(uri)?.[1]?.toLowerCase();
    let path: string;
    if (scheme === "http" || scheme === "https") {
      let host = "";
      try {
        const url = new URL(uri);
        host = url.host.toLowerCase();
        if (hosts.has(host) || hosts.has(url.hostname.toLowerCase())) {
          options.onDependency?.({ url: uri });
          return null; // fetched by the parser
        }
      } catch {
        // reported below
      }
      fail(
        site,
        `$ref "${site.ref}" would be fetched from ${host || "the network"}; references resolve inside the contracts folder only, unless contracts.allowedRefHosts names the host`,
        "UNS_ERR_CONTRACT_REF_OUTSIDE",
      );
      return null;
    }
    if (scheme === "file") {
      try {
        path = fileURLToPath(uri);
      } catch {
        fail(site, `$ref "${site.ref}" is not a valid file URL`, "UNS_ERR_CONTRACT_REF_OUTSIDE");
        return null;
      }
    } else if (scheme !== undefined && !/^[a-z]:[\\/]/i.test(uri)) {
      fail(
        site,
        `$ref "${site.ref}" uses the scheme ${scheme}:; only relative paths inside the contracts folder (and http(s) on contracts.allowedRefHosts) are accepted`,
        "UNS_ERR_CONTRACT_REF_OUTSIDE",
      );
      return null;
    } else {
      let decoded = uri;
      try {
        decoded = decodeURIComponent(uri);
      } catch {
        // keep it as written
      }
      path = resolve(dirname(site.file), decoded);
    }
    const real = safeRealpath(path) ?? path;
    if (!inside(rootReal, real)) {
      fail(
        site,
        `$ref "${site.ref}" resolves to ${real}, outside the contracts folder ${rootReal}; references must stay inside it`,
        "UNS_ERR_CONTRACT_REF_OUTSIDE",
      );
      return null;
    }
    return { file: path, parts };
  };

  // Walk every file reachable by reference, collecting reference sites; files referenced from
  // referenced files count towards maxRefDepth too.
  const sites: RefSite[] = [];
  const walked = new Set<string>();
  const walkFile = (path: string, loaded: LoadedFile, depth: number, from?: RefSite) => {
    if (walked.has(path)) return;
    walked.add(path);
    if (depth > options.maxRefDepth && from) {
      fail(
        from,
        `$ref "${from.ref}": files referencing files nest deeper than contracts.maxRefDepth ${options.maxRefDepth}`,
        "UNS_ERR_CONTRACT_REF_DEPTH",
      );
      return;
    }
    const own: RefSite[] = [];
    collect(loaded.value, [], path === resolve(file) ? file : path, own);
    sites.push(...own);
    for (const site of own) {
      const t = target(site);
      if (!t || t.file === path) continue;
      const next = load(t.file, site);
      if (next) walkFile(t.file, next, depth + 1, site);
    }
  };
  walkFile(resolve(file), { src, value }, 0);

  // Follow every chain: a reference whose target is itself a reference, and so on. The parser
  // never finishes a chain that returns to where it started.
  const reported = new Set<string>();
  for (const site of sites) {
    const seen: string[] = [];
    let cur: RefSite | null = site;
    while (cur) {
      const t = target(cur);
      if (!t || t.parts === undefined) break;
      const key = `${t.file}#/${t.parts.join("/")}`;
      if (seen.includes(key)) {
        const cycle = [...seen.slice(seen.indexOf(key)), key].map((k) => shortKey(k, file));
        const id = [...new Set(cycle)].sort().join(" ");
        if (!reported.has(id)) {
          reported.add(id);
          fail(
            site,
            `$ref cycle that never reaches a schema: ${cycle.join(" -> ")}; give one of them content (a recursive schema must recurse inside properties, items or similar)`,
            "UNS_ERR_CONTRACT_REF_CYCLE",
          );
        }
        break;
      }
      seen.push(key);
      if (seen.length > options.maxRefDepth) {
        fail(
          site,
          `$ref chain longer than contracts.maxRefDepth ${options.maxRefDepth}: ${seen
            .slice(0, 5)
            .map((k) => shortKey(k, file))
            .join(" -> ")} -> ...`,
          "UNS_ERR_CONTRACT_REF_DEPTH",
        );
        break;
      }
      const loaded = t.file === resolve(file) ? { src, value } : files.get(t.file);
      if (!loaded) break;
      const node = at(loaded.value, t.parts);
      if (!isPlainObject(node) || typeof node.$ref !== "string") break;
      cur = { file: t.file === resolve(file) ? file : t.file, path: t.parts, ref: node.$ref };
    }
    if (diagnostics.length >= 50) break;
  }
  // A reference can be met both while walking files and while following a chain.
  const unique = new Map(diagnostics.map((d) => [`${d.file}\u0000${d.path}\u0000${d.message}`, d]));
  return [...unique.values()];
}

function shortKey(key: string, file: string): string {
  const [path, pointer] = key.split("#");
  return path === resolve(file) ? `#${pointer}` : `${path}#${pointer}`;
}

function collect(value: unknown, path: (string | number)[], file: string, out: RefSite[]): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) collect(v, [...path, i], file, out);
  } else if (isPlainObject(value)) {
    if (typeof value.$ref === "string") out.push({ file, path, ref: value.$ref });
    for (const [k, v] of Object.entries(value)) if (k !== "$ref") collect(v, [...path, k], file, out);
  }
}

function safeRealpath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
