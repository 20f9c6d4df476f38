import { UnsError } from "@uns/errors";
import { isNode, LineCounter, parseDocument } from "yaml";
import type { JsonValue, MetricQuality, MetricUpdate, SparkplugDataTypeName } from "./types.js";

/** One mirror rule: which Sparkplug metrics go where in the UNS tree. Plain data. */
export interface MirrorRule {
  /** Pattern for the group_id. `*` captures anonymously ({1}, {2}, ... in order), `{name}` captures by name. */
  group: string;
  /** Pattern for the edge_node_id. */
  edgeNode: string;
  /** Pattern for the device_id. Absent: the rule maps the edge node's own metrics only. */
  device?: string;
  /** UNS topic prefix; `{name}`, `{1}`, `{group}`, `{edgeNode}`, `{device}` are replaced (as lowercase UNS levels). */
  to: string;
  /** Metric name globs to include (default all); `*` stays inside one level, `**` crosses `/`. */
  metrics?: string[];
  /** Metric name globs to leave out. Default `["bdSeq", "Node Control/*"]`. */
  exclude: string[];
  /** 1-based line in the YAML source, for messages. */
  line?: number;
}

export interface MirrorMapping {
  mirrors: MirrorRule[];
}

export interface MirrorMappingIssue {
  path: string;
  line?: number;
  message: string;
}

/** A mapping file that cannot be used; `issues` lists every problem with its line. */
export class SparkplugMappingError extends UnsError<"UNS_ERR_SPARKPLUG_MAPPING"> {
  readonly issues: MirrorMappingIssue[];
  constructor(source: string, issues: MirrorMappingIssue[]) {
    super(
      "UNS_ERR_SPARKPLUG_MAPPING",
      `${source} is not a valid Sparkplug mirror mapping:\n${issues
        .map((i) => `  ${i.line !== undefined ? `line ${i.line}, ` : ""}${i.path}: ${i.message}`)
        .join("\n")}`,
    );
    this.name = "SparkplugMappingError";
    this.issues = issues;
  }
}

export const DEFAULT_MIRROR_EXCLUDE: readonly string[] = ["bdSeq", "Node Control/*"];
const RULE_KEYS = ["group", "edgeNode", "device", "to", "metrics", "exclude"];
const BUILTINS = new Set(["group", "edgeNode", "device"]);

/**
 * Parse the Sparkplug mirror mapping (topics/sparkplug.yaml). Throws SparkplugMappingError listing
 * every problem with its line.
 *
 * @example
 * parseMirrorMapping(`
 * mirrors:
 *   - group: Plant1
 *     edgeNode: "Welder{cell}"
 *     device: "*"
 *     to: "acme/neckarsulm/body-shop/line-01/cell-{cell}/{device}/sparkplug"
 * `);
 */
export function parseMirrorMapping(yamlText: string, opts: { source?: string } = {}): MirrorMapping {
  const source = opts.source ?? "sparkplug mirror mapping";
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: false });
  const issues: MirrorMappingIssue[] = [];
  const lineOf = (path: (string | number)[]): number | undefined => {
    const node = doc.getIn(path, true);
    const offset = isNode(node) ? node.range?.[0] : undefined;
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  const issue = (path: (string | number)[], message: string): void => {
    const line = lineOf(path);
    issues.push({
      path: path.length ? pathText(path) : "(root)",
      ...(line !== undefined ? { line } : {}),
      message,
    });
  };
  for (const e of doc.errors) {
    issues.push({
      path: "(yaml)",
      line: lineCounter.linePos(e.pos[0]).line,
      message: e.message.split("\n")[0]!,
    });
  }
  if (issues.length > 0) throw new SparkplugMappingError(source, issues);

  const root: unknown = doc.toJS();
  if (root === null || root === undefined) return { mirrors: [] };
  if (!isRecord(root))
    throw new SparkplugMappingError(source, [
      { path: "(root)", message: "expected a mapping with the key `mirrors`" },
    ]);
  for (const key of Object.keys(root)) {
    if (key !== "mirrors") issue([key], "unknown key; expected only `mirrors`");
  }
  const list = root.mirrors ?? [];
  if (!Array.isArray(list)) {
    issue(["mirrors"], "expected a list of mirror rules");
    throw new SparkplugMappingError(source, issues);
  }
  const mirrors: MirrorRule[] = [];
  list.forEach((raw: unknown, i) => {
    const at = (key?: string | number, j?: number): (string | number)[] => [
      "mirrors",
      i,
      ...(key !== undefined ? [key] : []),
      ...(j !== undefined ? [j] : []),
    ];
    if (!isRecord(raw)) {
      issue(at(), "expected a mapping with group, edgeNode, to (and optionally device, metrics, exclude)");
      return;
    }
    for (const key of Object.keys(raw)) {
      if (!RULE_KEYS.includes(key)) issue(at(key), `unknown key; expected one of ${RULE_KEYS.join(", ")}`);
    }
    const str = (key: "group" | "edgeNode" | "device" | "to", required: boolean): string | undefined => {
      const v = raw[key];
      if (v === undefined) {
        if (required) issue(at(), `\`${key}\` is required`);
        return undefined;
      }
      if (typeof v !== "string" || v === "") {
        issue(at(key), `expected a non-empty string, got ${JSON.stringify(v)}`);
        return undefined;
      }
      return v;
    };
    const globs = (key: "metrics" | "exclude"): string[] | undefined => {
      const v = raw[key];
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || v.some((g) => typeof g !== "string" || g === "")) {
        issue(at(key), "expected a list of metric name globs (non-empty strings)");
        return undefined;
      }
      return v as string[];
    };
    const group = str("group", true);
    const edgeNode = str("edgeNode", true);
    const device = str("device", false);
    const to = str("to", true);
    const metrics = globs("metrics");
    const exclude = globs("exclude");
    const names: string[] = [];
    let anonymous = 0;
    for (const [key, pattern] of [
      ["group", group],
      ["edgeNode", edgeNode],
      ["device", device],
    ] as const) {
      if (pattern === undefined) continue;
      if (/[/+#]/.test(pattern))
        issue(at(key), `expected a pattern for one topic level (no / + #), got "${pattern}"`);
      const compiled = compileIdPattern(pattern);
      if ("error" in compiled) {
        issue(at(key), compiled.error);
        continue;
      }
      for (const n of compiled.names) {
        if (n === null) anonymous++;
        else if (names.includes(n) || BUILTINS.has(n))
          issue(at(key), `capture {${n}} is defined twice or shadows a built-in`);
        else names.push(n);
      }
    }
    if (to !== undefined) {
      const problem = checkTarget(to, names, anonymous, device !== undefined);
      if (problem) issue(at("to"), problem);
    }
    if (group !== undefined && edgeNode !== undefined && to !== undefined) {
      const rule: MirrorRule = { group, edgeNode, to, exclude: exclude ?? [...DEFAULT_MIRROR_EXCLUDE] };
      if (device !== undefined) rule.device = device;
      if (metrics !== undefined) rule.metrics = metrics;
      const line = lineOf(at());
      if (line !== undefined) rule.line = line;
      mirrors.push(rule);
    }
  });
  if (issues.length > 0) throw new SparkplugMappingError(source, issues);
  return { mirrors };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function pathText(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `*` -> anonymous capture, `{name}` -> named capture, the rest literal. */
function compileIdPattern(pattern: string): { regex: RegExp; names: (string | null)[] } | { error: string } {
  const names: (string | null)[] = [];
  let src = "";
  const re = /\*|\{([^{}]*)\}|[^*{}]+|[{}]/g;
  for (let m = re.exec(pattern); m !== null; m = re.exec(pattern)) {
    const tok = m[0];
    if (tok === "*") {
      names.push(null);
      src += "(.*?)";
    } else if (tok.startsWith("{") && tok.length > 1) {
      const name = m[1]!;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        return { error: `capture name {${name}} must be a word (letters, digits, _)` };
      names.push(name);
      src += "(.+?)";
    } else if (tok === "{" || tok === "}") {
      return { error: `unbalanced brace in "${pattern}"` };
    } else src += escapeRegex(tok);
  }
  return { regex: new RegExp(`^${src}$`), names };
}

function checkTarget(to: string, names: string[], anonymous: number, hasDevice: boolean): string | undefined {
  if (to.startsWith("/") || to.endsWith("/") || to.includes("//"))
    return `expected a topic prefix without empty levels, got "${to}"`;
  if (/[+#]/.test(to)) return `expected a topic prefix without wildcards, got "${to}"`;
  if (to.startsWith("$") || to.startsWith("spBv1.0/") || to === "spBv1.0") {
    return `expected a UNS topic outside the reserved namespaces ($..., spBv1.0/...), got "${to}"`;
  }
  for (const m of to.matchAll(/\{([^{}]*)\}/g)) {
    const ref = m[1]!;
    if (/^[1-9][0-9]*$/.test(ref)) {
      if (Number(ref) > anonymous)
        return `{${ref}} refers to a * capture that does not exist (the patterns have ${anonymous})`;
    } else if (ref === "device" && !hasDevice) {
      return "{device} needs a `device` pattern in this rule";
    } else if (!BUILTINS.has(ref) && !names.includes(ref)) {
      const known = [...names, ...BUILTINS].map((n) => `{${n}}`).join(", ");
      return `{${ref}} is not a capture of this rule; known: ${known}${anonymous ? `, {1}..{${anonymous}}` : ""}`;
    }
  }
  if (/[{}]/.test(to.replace(/\{[^{}]*\}/g, ""))) return `unbalanced brace in "${to}"`;
  return undefined;
}

/** `*` matches inside one level, `**` across levels; the rest literal. */
function compileMetricGlob(glob: string): RegExp {
  const src = glob
    .split("**")
    .map((part) => part.split("*").map(escapeRegex).join("[^/]*"))
    .join(".*");
  return new RegExp(`^${src}$`);
}

/**
 * A UNS topic level from a Sparkplug id or metric name part: lowercase, characters outside
 * `[a-z0-9_.-]` become `-`, starting with a letter or digit (the tree's default level rule).
 */
export function unsLevel(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .replace(/-+$/, "");
}

/** The JSON a mirror topic carries. */
export interface MirrorPayload {
  value: JsonValue;
  datatype: SparkplugDataTypeName;
  timestamp: number;
  quality: MetricQuality;
  unit?: string;
}

export interface MirrorMessage {
  topic: string;
  /** JSON text of a MirrorPayload. */
  payload: string;
  qos: 0;
  /** Retained, so a new subscriber gets the current value (or its stale marking) at once. */
  retain: true;
}

export interface MirrorMapper {
  /** The mirror message for one metric update, or undefined when no rule maps it. */
  map(update: MetricUpdate): MirrorMessage | undefined;
  mapAll(updates: readonly MetricUpdate[]): MirrorMessage[];
  /** The UNS prefix an edge node (or one of its devices) is mirrored to, if any. */
  prefixFor(group: string, edgeNode: string, device?: string): string | undefined;
}

interface CompiledRule {
  rule: MirrorRule;
  group: RegExp;
  edgeNode: RegExp;
  device?: RegExp;
  names: (string | null)[];
  include?: RegExp[];
  exclude: RegExp[];
}

/**
 * Turn metric updates into plain JSON messages on UNS topics: `<to>/<metric name as levels>`.
 * The first rule (in file order) that matches group, edge node and device and lets the metric
 * name through its `metrics` / `exclude` globs decides.
 *
 * @example
 * const mapper = createMirrorMapper(parseMirrorMapping(text));
 * for (const m of mapper.mapAll(result.mirror ?? [])) publish(m.topic, m.payload, { retain: m.retain });
 */
export function createMirrorMapper(mapping: MirrorMapping): MirrorMapper {
  const rules: CompiledRule[] = mapping.mirrors.map((rule) => {
    const names: (string | null)[] = [];
    const compile = (p: string): RegExp => {
      const c = compileIdPattern(p);
      if ("error" in c)
        throw new SparkplugMappingError("mirror rule", [{ path: "mirror", message: c.error }]);
      names.push(...c.names);
      return c.regex;
    };
    const compiled: CompiledRule = {
      rule,
      group: compile(rule.group),
      edgeNode: compile(rule.edgeNode),
      names,
      exclude: rule.exclude.map(compileMetricGlob),
    };
    if (rule.device !== undefined) compiled.device = compile(rule.device);
    if (rule.metrics) compiled.include = rule.metrics.map(compileMetricGlob);
    return compiled;
  });
  const cache = new Map<string, { prefix: string; rule: CompiledRule }[]>();

  /** Every rule whose id patterns match, in file order, with its substituted prefix. */
  function resolve(
    group: string,
    edgeNode: string,
    device: string | undefined,
  ): { prefix: string; rule: CompiledRule }[] {
    const key = `${group}\u0000${edgeNode}\u0000${device ?? "\u0001"}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const found: { prefix: string; rule: CompiledRule }[] = [];
    for (const c of rules) {
      if ((c.device === undefined) !== (device === undefined)) continue;
      const mg = c.group.exec(group);
      const mn = mg && c.edgeNode.exec(edgeNode);
      const md = mn && (c.device && device !== undefined ? c.device.exec(device) : []);
      if (!mg || !mn || !md) continue;
      const values = [...mg.slice(1), ...mn.slice(1), ...md.slice(1)];
      const named = new Map<string, string>();
      const positional: string[] = [];
      for (const [i, n] of c.names.entries()) {
        if (n === null) positional.push(values[i] ?? "");
        else named.set(n, values[i] ?? "");
      }
      named.set("group", group).set("edgeNode", edgeNode);
      if (device !== undefined) named.set("device", device);
      const prefix = c.rule.to.replace(/\{([^{}]*)\}/g, (_, ref: string) =>
        unsLevel(/^[0-9]+$/.test(ref) ? (positional[Number(ref) - 1] ?? "") : (named.get(ref) ?? "")),
      );
      found.push({ prefix, rule: c });
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(key, found);
    return found;
  }

  function map(u: MetricUpdate): MirrorMessage | undefined {
    // The first rule that matches the ids and lets the metric through decides.
    const hit = resolve(u.group, u.edgeNode, u.device).find(
      ({ rule }) =>
        (!rule.include || rule.include.some((r) => r.test(u.name))) &&
        !rule.exclude.some((r) => r.test(u.name)),
    );
    if (!hit) return undefined;
    const levels = u.name
      .split("/")
      .map(unsLevel)
      .filter((l) => l !== "");
    if (levels.length === 0) return undefined;
    const payload: MirrorPayload = {
      value: u.value,
      datatype: u.datatype,
      timestamp: u.timestamp,
      quality: u.quality,
    };
    if (u.unit !== undefined) payload.unit = u.unit;
    return {
      topic: `${hit.prefix}/${levels.join("/")}`,
      payload: JSON.stringify(payload),
      qos: 0,
      retain: true,
    };
  }

  return {
    map,
    mapAll: (updates) => updates.flatMap((u) => map(u) ?? []),
    prefixFor: (group, edgeNode, device) => resolve(group, edgeNode, device)[0]?.prefix,
  };
}
