import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { AsyncAPIDocumentInterface, ChannelInterface, MessageInterface, Parser } from "@asyncapi/parser";
import { parseAddress } from "./channel-address.js";
import type { ChannelSpec, ContractSet, JSONSchema, MessageSpec } from "./contract-set.js";
import {
  type Diagnostic,
  isPlainObject,
  parseYamlSource,
  positionOf,
  type Severity,
  toJsonPath,
} from "./diagnostics.js";
import { createError } from "./errors.js";
import {
  type CacheStats,
  type ContractCache,
  cacheKey,
  type Dependency,
  openContractCache,
} from "./load-cache.js";
import { checkReferences } from "./ref-guard.js";
import { classifySchemaFormat, copyData, isJsonContentType, toPortableSchema } from "./schema-convert.js";

export interface LoadedDocument {
  /** As given to the loader: `join(dir, name)`. */
  file: string;
  title: string;
  /** info.version */
  version: string;
  /** The `asyncapi` field, e.g. `3.0.0`. */
  asyncapiVersion: string;
  /** sha256 of the text, hex. */
  hash: string;
  text: string;
  /** Channel ids it contributes; empty when it failed. */
  channels: string[];
  /** false when it has error diagnostics: then it contributes no channels. */
  ok: boolean;
}

export interface LoadedContracts {
  set: ContractSet;
  documents: LoadedDocument[];
  diagnostics: Diagnostic[];
  /** With `cacheDir`: documents taken from the cache, parsed, and cache entries ignored. */
  cache?: CacheStats;
}

/** Limits on what one load may cost; the defaults suit a plant's contracts with room to spare. */
export interface LoadLimits {
  /** Largest document or referenced file read, in bytes (default 4 MiB). */
  maxFileBytes?: number;
  /** yaml's alias expansion limit per file (default 1000): a 500-byte "billion laughs" stops here. */
  maxAliasCount?: number;
  /** Longest chain of `$ref`s, and deepest nesting of files referencing files (default 32). */
  maxRefDepth?: number;
  /** Hosts (or host:port) whose http(s) URLs a `$ref` may name; default none. */
  allowedRefHosts?: readonly string[];
}

export interface LoadContractsOptions extends LoadLimits {
  /**
   * Keep each document's parse result in this folder, keyed by a hash of its text and of every
   * file it references (see load-cache.ts), so unchanged documents skip the AsyncAPI parser.
   */
  cacheDir?: string;
  /** Called when reading the files starts, and again once the parser is loaded (on the first miss). */
  onReady?: () => void;
  /** Called before the parser is loaded (a second or more that depends on no file). */
  onPause?: () => void;
  /** Called before each document is parsed (the loader thread reports progress with it). */
  onFile?: (file: string) => void;
}

export const defaultLoadLimits: Readonly<Required<LoadLimits>> = Object.freeze({
  maxFileBytes: 4 * 1024 * 1024,
  maxAliasCount: 1000,
  maxRefDepth: 32,
  allowedRefHosts: [],
});

const DOCUMENT_FILE = /\.(ya?ml|json)$/i;
const SEVERITIES: Severity[] = ["error", "warning", "info", "hint"];

/**
 * Parse every `*.yaml`, `*.yml` and `*.json` directly in `dir` with @asyncapi/parser (AsyncAPI
 * 2.x, 3.0, 3.1). `$ref`s to other files resolve relative to each document, so shared schemas can
 * live in a sub-folder. Files without a top-level `asyncapi` field are skipped with an info
 * diagnostic. A document with an error diagnostic contributes no channels; warnings are kept.
 * Throws only when the folder itself cannot be read (`UNS_ERR_CONTRACT_READ`).
 */
export async function loadContracts(
  dir: string,
  options: LoadContractsOptions = {},
): Promise<LoadedContracts> {
  const limits = { ...defaultLoadLimits, ...options };
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && DOCUMENT_FILE.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch (cause) {
    throw createError(
      "UNS_ERR_CONTRACT_READ",
      `cannot read the contracts folder ${dir}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }

  // Loaded on the first document the cache does not have: the parser pulls in spectral and
  // friends (a second or more of CPU), which a load from the cache and the validation workers
  // (importing this package for createValidator) should not pay for.
  let parser: Parser | undefined;
  const getParser = async (): Promise<Parser> => {
    if (parser) return parser;
    options.onPause?.();
    const { Parser: ParserClass } = await import("@asyncapi/parser");
    parser = new ParserClass();
    options.onReady?.();
    return parser;
  };
  const cache = options.cacheDir ? openContractCache({ dir: options.cacheDir, root: dir }) : undefined;
  options.onReady?.();

  const documents: LoadedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  const channels: ChannelSpec[] = [];
  const owner = new Map<string, string>(); // channel id -> file

  for (const name of names) {
    const file = join(dir, name);
    options.onFile?.(file);
    const result = await loadDocument(getParser, file, dir, limits, cache);
    diagnostics.push(...result.diagnostics);
    if (!result.document) continue;
    const doc = result.document;

    if (doc.ok) {
      const clashes = result.channels.filter((c) => owner.has(c.id));
      const src =
        clashes.length > 0
          ? parseYamlSource(doc.text, file, "UNS_ERR_CONTRACT_DUPLICATE_CHANNEL")
          : undefined;
      for (const c of clashes) {
        diagnostics.push({
          file,
          severity: "error",
          message: `channel id "${c.id}" is also defined in ${owner.get(c.id)}; channel ids must be unique across documents, so ${file} is not loaded`,
          path: toJsonPath(["channels", c.id]),
          ...(src ? positionOf(src, ["channels", c.id], true) : {}),
          code: "UNS_ERR_CONTRACT_DUPLICATE_CHANNEL",
        });
      }
      if (clashes.length > 0) doc.ok = false;
    }
    if (doc.ok) {
      for (const c of result.channels) {
        owner.set(c.id, file);
        channels.push(c);
      }
      doc.channels = result.channels.map((c) => c.id);
    }
    documents.push(doc);
  }

  const version = createHash("sha256");
  for (const d of documents) version.update(`${d.file}\u0000${d.hash}\n`);
  cache?.finish();
  return {
    set: { version: version.digest("hex"), channels },
    documents,
    diagnostics,
    ...(cache ? { cache: cache.stats } : {}),
  };
}

interface DocumentResult {
  document?: LoadedDocument;
  channels: ChannelSpec[];
  diagnostics: Diagnostic[];
  /** The parser threw: not a verdict on the document to keep in the cache. */
  threw?: boolean;
}

async function loadDocument(
  getParser: () => Promise<Parser>,
  file: string,
  dir: string,
  limits: Required<LoadLimits>,
  cache: ContractCache | undefined,
): Promise<DocumentResult> {
  const diagnostics: Diagnostic[] = [];
  const refuse = (message: string, code: string, extra: Partial<Diagnostic> = {}): DocumentResult => {
    diagnostics.push({ file, severity: "error", message, path: "$", code, ...extra });
    return { channels: [], diagnostics };
  };
  let text: string;
  try {
    const size = (await stat(file)).size;
    if (size > limits.maxFileBytes) {
      return refuse(
        `the file is ${size} bytes; contracts.maxFileBytes allows at most ${limits.maxFileBytes}`,
        "UNS_ERR_CONTRACT_TOO_LARGE",
      );
    }
    text = await readFile(file, "utf8");
  } catch (e) {
    return refuse(`cannot read: ${(e as Error).message}`, "UNS_ERR_CONTRACT_READ");
  }
  const hash = createHash("sha256").update(text).digest("hex");
  // Listed even when broken, so the API and the console show the file and why it failed.
  const document: LoadedDocument = {
    file,
    title: "",
    version: "",
    asyncapiVersion: "",
    hash,
    text,
    channels: [],
    ok: false,
  };
  const broken = (message: string, code: string): DocumentResult => ({
    ...refuse(message, code),
    document,
  });

  // Our own YAML pass comes first and is bounded: the AsyncAPI parser's YAML reader expands
  // aliases without limit (a 502-byte alias bomb took 4 GB) and nothing it reads is unchecked.
  const src = parseYamlSource(text, file, "UNS_ERR_CONTRACT_SYNTAX");
  const syntax = src.diagnostics.filter((d) => d.severity === "error");
  if (syntax.length > 0) {
    diagnostics.push(...syntax);
    return { document, channels: [], diagnostics };
  }
  let raw: unknown;
  try {
    raw = src.doc.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (e) {
    return broken(
      `${(e as Error).message} (more than contracts.maxAliases ${limits.maxAliasCount} alias expansions)`,
      "UNS_ERR_CONTRACT_LIMIT",
    );
  }
  if (!(isPlainObject(raw) && "asyncapi" in raw)) {
    diagnostics.push({
      file,
      severity: "info",
      message: "no top-level 'asyncapi' field: not an AsyncAPI document, skipped",
      path: "$",
      code: "UNS_ERR_CONTRACT_NOT_A_DOCUMENT",
    });
    return { channels: [], diagnostics };
  }
  const rawInfo = isPlainObject(raw.info) ? raw.info : {};
  document.title = typeof rawInfo.title === "string" ? rawInfo.title : "";
  document.version = rawInfo.version === undefined ? "" : String(rawInfo.version);
  document.asyncapiVersion = raw.asyncapi !== undefined ? String(raw.asyncapi) : "";

  const dependencies: Dependency[] = [];
  let remote = false;
  const refProblems = checkReferences(file, src, raw, {
    root: dir,
    ...limits,
    onDependency: (dep) => {
      if ("url" in dep) remote = true;
      else dependencies.push(dep);
    },
  });
  if (refProblems.length > 0) {
    diagnostics.push(...refProblems);
    return { document, channels: [], diagnostics };
  }

  // A document referencing a URL depends on what the server there answers today: not cached.
  const key = cache && !remote ? cacheKey(dir, file, text, dependencies) : undefined;
  if (cache && !key) cache.skip();
  const cached = key ? cache?.get(key, file) : null;
  if (cached) {
    document.title = cached.title;
    document.version = cached.version;
    document.asyncapiVersion = cached.asyncapiVersion;
    document.ok = cached.ok;
    diagnostics.push(...cached.diagnostics);
    return { document, channels: cached.channels, diagnostics };
  }
  const result = await parseWithAsyncapi(await getParser(), file, text, document, diagnostics);
  if (key && !result.threw)
    cache?.put(key, {
      title: document.title,
      version: document.version,
      asyncapiVersion: document.asyncapiVersion,
      ok: document.ok,
      channels: result.channels,
      diagnostics: result.diagnostics,
    });
  return result;
}

/** The AsyncAPI parser's pass over a document that passed our own checks. */
async function parseWithAsyncapi(
  parser: Parser,
  file: string,
  text: string,
  document: LoadedDocument,
  diagnostics: Diagnostic[],
): Promise<DocumentResult> {
  let parsed: Awaited<ReturnType<Parser["parse"]>>;
  try {
    parsed = await parser.parse(text, { source: resolve(file) });
  } catch (e) {
    diagnostics.push({
      file,
      severity: "error",
      message: `the AsyncAPI parser failed: ${(e as Error).message}`,
      path: "$",
      code: "UNS_ERR_CONTRACT_PARSE",
    });
    return { document, channels: [], diagnostics, threw: true };
  }

  const absolute = resolve(file);
  for (const d of parsed.diagnostics) {
    const diag: Diagnostic = {
      // A problem inside a $ref'd file is reported against that file.
      file: d.source && resolve(d.source) !== absolute ? d.source : file,
      severity: SEVERITIES[d.severity] ?? "error",
      message: d.message,
      path: toJsonPath(d.path),
      code: String(d.code ?? ""),
    };
    if (d.range) {
      // The parser's positions are 0-based.
      diag.line = d.range.start.line + 1;
      diag.column = d.range.start.character + 1;
    }
    diagnostics.push(diag);
  }
  const failed = diagnostics.some((d) => d.severity === "error");
  if (!parsed.document || failed) {
    if (!failed) {
      diagnostics.push({
        file,
        severity: "error",
        message: "the AsyncAPI parser returned no document",
        path: "$",
        code: "UNS_ERR_CONTRACT_PARSE",
      });
    }
    return { document, channels: [], diagnostics };
  }

  const api = parsed.document;
  document.title = api.info().title();
  document.version = api.info().version();
  document.asyncapiVersion = api.version();
  document.ok = true;
  return { document, channels: buildChannels(api, document), diagnostics };
}

function buildChannels(api: AsyncAPIDocumentInterface, doc: LoadedDocument): ChannelSpec[] {
  const v2 = api.version().startsWith("2.");
  const defaultContentType = api.defaultContentType() ?? "application/json";
  return api
    .channels()
    .all()
    .map((ch) => {
      const address = ch.address() ?? null;
      const parsedAddress = address === null ? null : parseAddress(address);
      const spec: ChannelSpec = {
        id: ch.id(),
        file: doc.file,
        title: doc.title,
        version: doc.version,
        address,
        filter: parsedAddress?.filter ?? null,
        parameters: buildParameters(ch, parsedAddress?.parameters ?? []),
        messages: buildMessages(ch, v2, defaultContentType, api.version()),
      };
      const description = ch.description();
      if (description) spec.description = description;
      return spec;
    });
}

function buildParameters(ch: ChannelInterface, inAddress: string[]): Record<string, JSONSchema | null> {
  const out: Record<string, JSONSchema | null> = {};
  for (const name of inAddress) out[name] = null;
  for (const p of ch.parameters().all()) {
    // 2.x: the parameter's `schema`. 3.0: the parser builds a string schema from enum/default
    // (3.0.0 Parameter Object has no schema); either way we get JSON Schema here.
    const raw = p.schema()?.json();
    if (raw === undefined) {
      out[p.id()] = null;
      continue;
    }
    const converted = toPortableSchema(raw);
    out[p.id()] = converted.ok ? converted.schema : null;
  }
  return out;
}

function buildMessages(
  ch: ChannelInterface,
  v2: boolean,
  defaultContentType: string,
  asyncapiVersion: string,
): MessageSpec[] {
  const used = new Set<string>();
  return ch
    .messages()
    .all()
    .map((m, i) => {
      let name = messageName(m, v2) ?? `message-${i + 1}`;
      for (let n = 2; used.has(name); n++) name = `${messageName(m, v2) ?? "message"}-${n}`;
      used.add(name);
      return buildMessage(m, name, v2, defaultContentType, asyncapiVersion);
    });
}

function messageName(m: MessageInterface, v2: boolean): string | undefined {
  // 3.x: the key in the channel's messages map (what operations reference). 2.x: name, else
  // messageId, else the parser's generated id.
  if (!v2) return m.id();
  return m.name() ?? m.id() ?? undefined;
}

function buildMessage(
  m: MessageInterface,
  name: string,
  v2: boolean,
  defaultContentType: string,
  asyncapiVersion: string,
): MessageSpec {
  // The default is the AsyncAPI Schema of the document's version (3.0.0 Multi Format Schema Object).
  const schemaFormat = m.schemaFormat() ?? `application/vnd.aai.asyncapi;version=${asyncapiVersion}`;
  const spec: MessageSpec = {
    name,
    contentType: m.contentType() ?? defaultContentType,
    schemaFormat,
    payload: null,
    supported: true,
    examples: m
      .examples()
      .all()
      .map((e) => e.payload())
      .filter((p) => p !== undefined)
      .map((p) => copyData(p)),
  };
  const title = m.title();
  if (title) spec.title = title;

  let payload: unknown = m.hasPayload() ? m.payload()?.json() : undefined;
  // AsyncAPI 3 Multi Format Schema Object: { schemaFormat, schema } (3.0.0 section 3.3.13).
  if (!v2 && isPlainObject(payload) && typeof payload.schemaFormat === "string" && "schema" in payload) {
    payload = payload.schema;
  }
  const format = classifySchemaFormat(schemaFormat);
  if (format.kind === "unsupported") {
    spec.supported = false;
    spec.unsupportedReason = `${format.name} schemas (schemaFormat ${schemaFormat}) are not validated; only JSON Schema, AsyncAPI Schema and OpenAPI 3.0 schemas are`;
    return spec;
  }
  if (payload === undefined) return spec;
  if (!isJsonContentType(spec.contentType)) {
    spec.supported = false;
    spec.unsupportedReason = `content type ${spec.contentType} is not validated; only JSON payloads are`;
  }
  const converted = toPortableSchema(payload, { openapi: format.kind === "openapi" });
  if (converted.ok) spec.payload = converted.schema;
  else {
    spec.supported = false;
    spec.unsupportedReason = converted.reason;
  }
  return spec;
}
