import type { Document, Node as YamlNode } from "yaml";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";

export type Severity = "error" | "warning" | "info" | "hint";

/** A problem found in a file the product reads (tree, access rules, AsyncAPI documents). */
export interface Diagnostic {
  file: string;
  severity: Severity;
  message: string;
  /** JSONPath-style location inside the document, e.g. `$.tree.acme.children`. */
  path: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  code: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `["tree", "acme", "{line}", 0]` -> `$.tree.acme["{line}"][0]`. */
export function toJsonPath(path: readonly (string | number)[]): string {
  let out = "$";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (IDENTIFIER.test(part)) out += `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** `file:line:column path: message`, the shape editors and terminals turn into links. */
export function formatDiagnostic(d: Diagnostic): string {
  const where =
    d.line === undefined ? d.file : `${d.file}:${d.line}${d.column === undefined ? "" : `:${d.column}`}`;
  return `${where} ${d.path}: ${d.message}`;
}

/** One message for a thrown error: the first few diagnostics, and how many more there are. */
export function summarizeDiagnostics(title: string, diagnostics: readonly Diagnostic[], max = 5): string {
  const errors = diagnostics.filter((d) => d.severity === "error");
  const shown = errors.slice(0, max).map((d) => `  ${formatDiagnostic(d)}`);
  const more = errors.length > max ? [`  ... and ${errors.length - max} more`] : [];
  return [title, ...shown, ...more].join("\n");
}

/** A YAML file parsed with positions kept, so structure checks can point at a line. */
export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** YAML syntax errors and warnings, already as diagnostics. */
  diagnostics: Diagnostic[];
}

export function parseYamlSource(text: string, file: string, code: string): YamlSource {
  const lines = new LineCounter();
  // uniqueKeys (default true) makes a duplicated key an error instead of a silent overwrite.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const diagnostics: Diagnostic[] = [];
  for (const [severity, list] of [
    ["error", doc.errors],
    ["warning", doc.warnings],
  ] as const) {
    for (const e of list) {
      const pos = lines.linePos(e.pos[0]);
      diagnostics.push({
        file,
        severity,
        message: firstLine(e.message),
        path: "$",
        line: pos.line,
        column: pos.col,
        code,
      });
    }
  }
  return { file, doc, lines, diagnostics };
}

function firstLine(s: string): string {
  const i = s.indexOf("\n");
  return i < 0 ? s : s.slice(0, i);
}

/**
 * The position of the node at `path` (or of its deepest existing ancestor), 1-based.
 * With `key: true` the position of the map key is returned, which is where a reader looks
 * for "this entry is wrong".
 */
export function positionOf(
  src: YamlSource,
  path: readonly (string | number)[],
  key = false,
): { line: number; column: number } | undefined {
  let node: unknown = src.doc.contents;
  let keyNode: unknown;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part),
      );
      if (!pair) break;
      keyNode = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof part === "number") {
      const item = node.items[part];
      if (item === undefined) break;
      keyNode = undefined;
      node = item;
    } else {
      break;
    }
  }
  const target = (key && keyNode ? keyNode : (node ?? keyNode)) as YamlNode | null | undefined;
  const range = target?.range;
  if (!range) return undefined;
  const pos = src.lines.linePos(range[0]);
  return { line: pos.line, column: pos.col };
}

/**
 * Collects structure diagnostics for one YAML file, with positions filled in. Given only a file
 * name (data already checked elsewhere, e.g. in the loader thread), positions are left out.
 */
export function createDiagnosticSink(
  src: YamlSource | { file: string; diagnostics?: Diagnostic[] },
  code: string,
) {
  const list: Diagnostic[] = [...(src.diagnostics ?? [])];
  const where = (path: readonly (string | number)[], key?: boolean) =>
    "doc" in src ? positionOf(src as YamlSource, path, key) : undefined;
  return {
    list,
    error(path: readonly (string | number)[], message: string, opts: { key?: boolean; code?: string } = {}) {
      list.push({
        file: src.file,
        severity: "error",
        message,
        path: toJsonPath(path),
        ...where(path, opts.key),
        code: opts.code ?? code,
      });
    },
    warning(
      path: readonly (string | number)[],
      message: string,
      opts: { key?: boolean; code?: string } = {},
    ) {
      list.push({
        file: src.file,
        severity: "warning",
        message,
        path: toJsonPath(path),
        ...where(path, opts.key),
        code: opts.code ?? code,
      });
    },
    hasErrors(): boolean {
      return list.some((d) => d.severity === "error");
    },
  };
}

export type DiagnosticSink = ReturnType<typeof createDiagnosticSink>;

/** Describe a value for a message: `"strict"`, `42`, `a list`, `a map`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  return JSON.stringify(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
