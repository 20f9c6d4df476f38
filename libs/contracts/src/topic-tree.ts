import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  createDiagnosticSink,
  type Diagnostic,
  type DiagnosticSink,
  describeValue,
  isPlainObject,
  parseYamlSource,
  summarizeDiagnostics,
} from "./diagnostics.js";
import { createError } from "./errors.js";
import { compileLinearRegex, type LinearRegex } from "./linear-regex.js";
import { createLru } from "./lru.js";

export type Policy = "monitor" | "enforce";
export type OutsideMode = "deny" | "allow";

export interface NamingRules {
  /** Maximum number of levels. */
  maxDepth: number;
  /** Maximum length of the topic string in UTF-8 bytes. */
  maxLength: number;
  /** Regular expression every level must match. */
  level: string;
}

/** What the broker should do with a topic; see `TopicTree.classify`. */
export type TopicClass =
  | { readonly kind: "reserved"; readonly namespace: "$" | "sparkplug" }
  | { readonly kind: "refused"; readonly code: string; readonly reason: string }
  | {
      readonly kind: "leaf";
      /** The leaf's name in its leaf set, e.g. `weld-spot` or `results/weld-quality`. */
      readonly leaf: string;
      /** AsyncAPI channel id, or null when the leaf names none (then match by address). */
      readonly channel: string | null;
      readonly policy: Policy;
      /** Level name -> value for every tree level of the topic, e.g. `{ site: "neckarsulm" }`. */
      readonly levels: Readonly<Record<string, string>>;
    }
  | { readonly kind: "outside"; readonly policy: Policy };

export interface LeafDescription {
  name: string;
  /** MQTT filter of the leaf: variable levels are `+`. */
  filter: string;
  channel: string | null;
  /** Effective policy (own, or inherited from the nearest node that sets one). */
  policy: Policy;
  description?: string;
  /** The leaf set it comes from, when the node names one. */
  leafSet?: string;
}

export interface TreeNodeDescription {
  /** The key in tree.yaml: a literal value or `{name}`. */
  key: string;
  /** The level's name, e.g. `site`. */
  level: string;
  kind: "literal" | "variable";
  pattern?: string;
  enum?: string[];
  policy: Policy;
  description?: string;
  /** MQTT filter of this node: variable levels are `+`. */
  filter: string;
  children: TreeNodeDescription[];
  leaves: LeafDescription[];
}

export interface TreeDescription {
  file: string;
  naming: NamingRules;
  outside: OutsideMode;
  policy: Policy;
  children: TreeNodeDescription[];
}

export interface LeafPattern {
  /** MQTT filter with `+` for variable levels. */
  filter: string;
  leaf: string;
  channel: string | null;
  policy: Policy;
}

export interface TopicTree {
  readonly file: string;
  readonly naming: Readonly<NamingRules>;
  readonly outside: OutsideMode;
  readonly policy: Policy;
  /** Warnings found while loading (errors make loading fail). */
  readonly diagnostics: readonly Diagnostic[];
  /**
   * Classify a topic name for publishing. Called for every PUBLISH: results are cached per topic
   * string, so the returned object is shared and frozen.
   *
   * @example
   * tree.classify("acme/neckarsulm/body-shop/line-01/cell-02/weld-spot")
   * // { kind: "leaf", leaf: "weld-spot", channel: "weldSpot", policy: "enforce", levels: { line: "line-01", ... } }
   */
  classify(topic: string): TopicClass;
  /** The tree as JSON for the API and the console. */
  nodes(): TreeDescription;
  /** Every leaf as an MQTT filter with its channel id. */
  leafPatterns(): LeafPattern[];
}

export interface TopicTreeOptions {
  /** Entries in the per-topic classification cache (default 50 000). */
  cacheEntries?: number;
}

export const defaultNaming: Readonly<NamingRules> = Object.freeze({
  maxDepth: 12,
  maxLength: 256,
  level: "^[a-z0-9][a-z0-9_.-]*$",
});

/** The MQTT topic length limit: a UTF-8 string with a 2-byte length prefix [MQTT-1.5.3]. */
const MQTT_MAX_TOPIC_BYTES = 65_535;
const SPARKPLUG_NAMESPACE = "spBv1.0";

/**
 * Read and compile `<dir>/tree.yaml`. Throws `UNS_ERR_TREE_READ` or `UNS_ERR_TREE_INVALID`
 * (with `details.diagnostics` listing every problem with file, line and path).
 */
export function loadTopicTree(dir: string, options: TopicTreeOptions = {}): TopicTree {
  const file = join(dir, "tree.yaml");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw createError(
      "UNS_ERR_TREE_READ",
      `cannot read the topic tree ${file}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  return parseTopicTree(text, file, options);
}

/** Compile a topic tree from YAML text; `fileName` is used in diagnostics only. */
export function parseTopicTree(text: string, fileName: string, options: TopicTreeOptions = {}): TopicTree {
  const { compiled, diagnostics } = compileText(text, fileName);
  return createTopicTree(compiled, diagnostics, options);
}

/**
 * A checked topic tree as plain data (structured-clone safe): what the loader thread hands the
 * broker, which compiles it with `topicTreeFromData` without parsing YAML on its event loop.
 */
export interface TopicTreeData {
  file: string;
  raw: unknown;
  diagnostics: Diagnostic[];
}

/** Parse and check a topic tree (throws like `parseTopicTree`) and return it as plain data. */
export function parseTopicTreeData(text: string, fileName: string): TopicTreeData {
  const { raw, diagnostics } = compileText(text, fileName);
  return { file: fileName, raw, diagnostics };
}

/** Compile checked tree data (from `parseTopicTreeData`); linear in the size of the tree. */
export function topicTreeFromData(data: TopicTreeData, options: TopicTreeOptions = {}): TopicTree {
  const sink = createDiagnosticSink({ file: data.file }, "UNS_ERR_TREE_INVALID");
  const compiled = compileTree(data.raw, data.file, sink);
  if (!compiled || sink.hasErrors()) {
    throw createError(
      "UNS_ERR_TREE_INVALID",
      summarizeDiagnostics(`invalid topic tree ${data.file}:`, sink.list),
      { details: { diagnostics: sink.list } },
    );
  }
  return createTopicTree(compiled, data.diagnostics, options);
}

function compileText(text: string, fileName: string) {
  const src = parseYamlSource(text, fileName, "UNS_ERR_TREE_INVALID");
  const sink = createDiagnosticSink(src, "UNS_ERR_TREE_INVALID");
  let compiled: CompiledTree | undefined;
  let raw: unknown;
  if (!sink.hasErrors()) {
    try {
      // maxAliasCount bounds alias expansion ("billion laughs"): yaml counts expanded nodes.
      raw = src.doc.toJS({ maxAliasCount: 100 });
      compiled = compileTree(raw, fileName, sink);
    } catch (e) {
      sink.error([], `cannot read the tree: ${(e as Error).message}`);
    }
  }
  if (!compiled || sink.hasErrors()) {
    throw createError(
      "UNS_ERR_TREE_INVALID",
      summarizeDiagnostics(`invalid topic tree ${fileName}:`, sink.list),
      { details: { diagnostics: sink.list } },
    );
  }
  return { compiled, raw, diagnostics: sink.list };
}

// ---------------------------------------------------------------------------------------------
// Compilation: tree.yaml -> trie

interface CompiledLeaf {
  name: string;
  channel: string | null;
  policy: Policy;
  description?: string;
  leafSet?: string;
  filter: string;
}

interface CompiledNode {
  key: string;
  level: string;
  variable: boolean;
  pattern?: LinearRegex;
  patternSource?: string;
  enumValues?: string[];
  policy: Policy;
  description?: string;
  /** Filter levels from the root to this node. */
  filterLevels: string[];
  literal: Map<string, CompiledNode>;
  variables: CompiledNode[];
  /** Leaf name (levels joined by `/`) -> leaf. */
  leaves: Map<string, CompiledLeaf>;
}

interface CompiledTree {
  file: string;
  naming: NamingRules;
  levelRegex: LinearRegex;
  outside: OutsideMode;
  policy: Policy;
  root: CompiledNode;
}

interface LeafSpec {
  channel: string | null;
  policy?: Policy;
  description?: string;
}

const ROOT_KEYS = ["naming", "outside", "policy", "tree", "leafSets"];
const NAMING_KEYS = ["maxDepth", "maxLength", "level"];
const NODE_KEYS = ["level", "pattern", "enum", "policy", "children", "leaves", "description"];
const LEAF_KEYS = ["channel", "policy", "description"];
const VARIABLE_KEY = /^\{([A-Za-z_][A-Za-z0-9_-]*)\}$/;

function checkKeys(
  sink: DiagnosticSink,
  obj: Record<string, unknown>,
  allowed: string[],
  path: (string | number)[],
): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      sink.error([...path, key], `unknown key "${key}"; accepted keys here: ${allowed.join(", ")}`, {
        key: true,
      });
    }
  }
}

function readPolicy(sink: DiagnosticSink, value: unknown, path: (string | number)[]): Policy | undefined {
  if (value === undefined) return undefined;
  if (value === "monitor" || value === "enforce") return value;
  sink.error(path, `policy must be "monitor" or "enforce", got ${describeValue(value)}`);
  return undefined;
}

function compileRegex(
  sink: DiagnosticSink,
  value: unknown,
  path: (string | number)[],
  what: string,
): LinearRegex | undefined {
  if (typeof value !== "string") {
    sink.error(path, `${what} must be a regular expression string, got ${describeValue(value)}`);
    return undefined;
  }
  try {
    // Linear time: a pattern is evaluated on every new topic, before any access check.
    return compileLinearRegex(value);
  } catch (e) {
    sink.error(path, `${what} is not a valid regular expression: ${(e as Error).message}`);
    return undefined;
  }
}

function compileTree(raw: unknown, file: string, sink: DiagnosticSink): CompiledTree | undefined {
  if (!isPlainObject(raw)) {
    sink.error(
      [],
      `the topic tree must be a map with keys ${ROOT_KEYS.join(", ")}; got ${describeValue(raw)}`,
    );
    return undefined;
  }
  checkKeys(sink, raw, ROOT_KEYS, []);

  const naming: NamingRules = { ...defaultNaming };
  if (raw.naming !== undefined) {
    if (!isPlainObject(raw.naming)) {
      sink.error(["naming"], `naming must be a map with keys ${NAMING_KEYS.join(", ")}`);
    } else {
      checkKeys(sink, raw.naming, NAMING_KEYS, ["naming"]);
      const { maxDepth, maxLength, level } = raw.naming;
      if (maxDepth !== undefined) {
        if (Number.isInteger(maxDepth) && (maxDepth as number) >= 1) naming.maxDepth = maxDepth as number;
        else
          sink.error(
            ["naming", "maxDepth"],
            `maxDepth must be an integer >= 1, got ${describeValue(maxDepth)}`,
          );
      }
      if (maxLength !== undefined) {
        if (
          Number.isInteger(maxLength) &&
          (maxLength as number) >= 1 &&
          (maxLength as number) <= MQTT_MAX_TOPIC_BYTES
        ) {
          naming.maxLength = maxLength as number;
        } else {
          sink.error(
            ["naming", "maxLength"],
            `maxLength must be an integer from 1 to ${MQTT_MAX_TOPIC_BYTES} (bytes), got ${describeValue(maxLength)}`,
          );
        }
      }
      if (level !== undefined && compileRegex(sink, level, ["naming", "level"], "naming.level")) {
        naming.level = level as string;
      }
    }
  }
  const levelRegex = compileLinearRegex(naming.level);

  let outside: OutsideMode = "deny";
  if (raw.outside !== undefined) {
    if (raw.outside === "deny" || raw.outside === "allow") outside = raw.outside;
    else sink.error(["outside"], `outside must be "deny" or "allow", got ${describeValue(raw.outside)}`);
  }
  const policy = readPolicy(sink, raw.policy, ["policy"]) ?? "monitor";

  // Leaf sets first: nodes refer to them by name.
  const leafSets = new Map<string, Map<string, LeafSpec>>();
  if (raw.leafSets !== undefined) {
    if (!isPlainObject(raw.leafSets)) {
      sink.error(
        ["leafSets"],
        "leafSets must be a map: set name -> { leaf name -> { channel, policy, description } }",
      );
    } else {
      for (const [setName, set] of Object.entries(raw.leafSets)) {
        leafSets.set(setName, readLeaves(sink, set, ["leafSets", setName], levelRegex, naming));
      }
    }
  }
  const usedSets = new Set<string>();

  const root: CompiledNode = {
    key: "",
    level: "",
    variable: false,
    policy,
    filterLevels: [],
    literal: new Map(),
    variables: [],
    leaves: new Map(),
  };

  if (raw.tree === undefined) {
    sink.error(
      [],
      "missing key tree: the map of first-level values (e.g. tree: { acme: { level: enterprise } })",
    );
  } else if (!isPlainObject(raw.tree)) {
    sink.error(["tree"], `tree must be a map of first-level values, got ${describeValue(raw.tree)}`);
  } else {
    compileChildren(raw.tree, root, ["tree"], []);
  }

  for (const name of leafSets.keys()) {
    if (!usedSets.has(name))
      sink.warning(["leafSets", name], `leaf set "${name}" is not used by any node`, { key: true });
  }

  return { file, naming, levelRegex, outside, policy, root };

  function compileChildren(
    children: Record<string, unknown>,
    parent: CompiledNode,
    path: (string | number)[],
    ancestorsLevels: string[],
  ): void {
    for (const [key, value] of Object.entries(children)) {
      const nodePath = [...path, key];
      const variableMatch = VARIABLE_KEY.exec(key);
      if (!variableMatch) {
        if (!levelRegex.test(key)) {
          sink.error(
            nodePath,
            `"${key}" is neither a level value matching naming.level ${naming.level} nor a variable like "{line}"`,
            { key: true },
          );
          continue;
        }
      }
      const spec = value ?? {};
      if (!isPlainObject(spec)) {
        sink.error(
          nodePath,
          `a tree node must be a map with keys ${NODE_KEYS.join(", ")}, got ${describeValue(value)}`,
        );
        continue;
      }
      checkKeys(sink, spec, NODE_KEYS, nodePath);

      let level = variableMatch?.[1];
      if (spec.level !== undefined) {
        if (typeof spec.level === "string" && spec.level.length > 0) level = spec.level;
        else
          sink.error(
            [...nodePath, "level"],
            `level must be a non-empty string (the level's name, e.g. site), got ${describeValue(spec.level)}`,
          );
      } else if (!variableMatch) {
        sink.error(nodePath, `missing key level: the name of this level (e.g. level: site)`, { key: true });
      }
      level ??= key;
      if (ancestorsLevels.includes(level)) {
        sink.error(
          [...nodePath, "level"],
          `level name "${level}" is already used by an ancestor; level names must be unique along a path`,
        );
      }

      const node: CompiledNode = {
        key,
        level,
        variable: variableMatch !== null,
        policy: readPolicy(sink, spec.policy, [...nodePath, "policy"]) ?? parent.policy,
        filterLevels: [...parent.filterLevels, variableMatch ? "+" : key],
        literal: new Map(),
        variables: [],
        leaves: new Map(),
      };
      if (typeof spec.description === "string") node.description = spec.description;
      else if (spec.description !== undefined)
        sink.error([...nodePath, "description"], "description must be a string");

      if (!variableMatch && (spec.pattern !== undefined || spec.enum !== undefined)) {
        sink.error(
          nodePath,
          `pattern and enum apply to variable levels only; write the key as "{${level}}"`,
          { key: true },
        );
      }
      if (variableMatch && spec.pattern !== undefined) {
        const re = compileRegex(sink, spec.pattern, [...nodePath, "pattern"], "pattern");
        if (re) {
          node.pattern = re;
          node.patternSource = spec.pattern as string;
          if (!(spec.pattern as string).startsWith("^") || !(spec.pattern as string).endsWith("$")) {
            sink.warning(
              [...nodePath, "pattern"],
              "pattern is not anchored with ^...$: it accepts any value that contains a match",
            );
          }
        }
      }
      if (variableMatch && spec.enum !== undefined) {
        if (
          !Array.isArray(spec.enum) ||
          spec.enum.length === 0 ||
          !spec.enum.every((v) => typeof v === "string")
        ) {
          sink.error(
            [...nodePath, "enum"],
            "enum must be a non-empty list of strings (quote values such as '01')",
          );
        } else {
          node.enumValues = spec.enum as string[];
        }
      }
      if (node.filterLevels.length > naming.maxDepth) {
        sink.error(
          nodePath,
          `this node is at level ${node.filterLevels.length}, deeper than naming.maxDepth ${naming.maxDepth}`,
          {
            key: true,
          },
        );
      }

      if (spec.leaves !== undefined) {
        let leaves: Map<string, LeafSpec> | undefined;
        let setName: string | undefined;
        if (typeof spec.leaves === "string") {
          setName = spec.leaves;
          leaves = leafSets.get(setName);
          usedSets.add(setName);
          if (!leaves) {
            const known = [...leafSets.keys()];
            sink.error(
              [...nodePath, "leaves"],
              `leaf set "${setName}" is not defined under leafSets; defined: ${known.length ? known.join(", ") : "(none)"}`,
            );
          }
        } else {
          leaves = readLeaves(sink, spec.leaves, [...nodePath, "leaves"], levelRegex, naming);
        }
        for (const [name, leaf] of leaves ?? []) {
          const filterLevels = [...node.filterLevels, ...name.split("/")];
          if (filterLevels.length > naming.maxDepth) {
            sink.error(
              [...nodePath, "leaves"],
              `leaf "${name}" here has ${filterLevels.length} levels, more than naming.maxDepth ${naming.maxDepth}`,
            );
          }
          const compiledLeaf: CompiledLeaf = {
            name,
            channel: leaf.channel,
            policy: leaf.policy ?? node.policy,
            filter: filterLevels.join("/"),
          };
          if (leaf.description !== undefined) compiledLeaf.description = leaf.description;
          if (setName !== undefined) compiledLeaf.leafSet = setName;
          node.leaves.set(name, compiledLeaf);
        }
      }

      if (spec.children !== undefined) {
        if (isPlainObject(spec.children))
          compileChildren(spec.children, node, [...nodePath, "children"], [...ancestorsLevels, level]);
        else
          sink.error(
            [...nodePath, "children"],
            `children must be a map of level values, got ${describeValue(spec.children)}`,
          );
      }

      if (node.variable) parent.variables.push(node);
      else parent.literal.set(key, node);
    }
  }
}

function readLeaves(
  sink: DiagnosticSink,
  raw: unknown,
  path: (string | number)[],
  levelRegex: LinearRegex,
  naming: NamingRules,
): Map<string, LeafSpec> {
  const out = new Map<string, LeafSpec>();
  if (!isPlainObject(raw)) {
    sink.error(
      path,
      `leaves must be a leaf set name or a map: leaf name -> { channel, policy, description }; got ${describeValue(raw)}`,
    );
    return out;
  }
  for (const [name, value] of Object.entries(raw)) {
    const leafPath = [...path, name];
    const bad = name.split("/").find((lv) => !levelRegex.test(lv));
    if (bad !== undefined) {
      sink.error(
        leafPath,
        `leaf name "${name}": level "${bad}" does not match naming.level ${naming.level} (a leaf may span levels with '/', each a literal)`,
        { key: true },
      );
      continue;
    }
    const spec = value ?? {};
    if (!isPlainObject(spec)) {
      sink.error(
        leafPath,
        `a leaf must be a map with keys ${LEAF_KEYS.join(", ")}, got ${describeValue(value)}`,
      );
      continue;
    }
    checkKeys(sink, spec, LEAF_KEYS, leafPath);
    const leaf: LeafSpec = { channel: null };
    if (spec.channel !== undefined && spec.channel !== null) {
      if (typeof spec.channel === "string" && spec.channel.length > 0) leaf.channel = spec.channel;
      else
        sink.error(
          [...leafPath, "channel"],
          `channel must be an AsyncAPI channel id (a string), got ${describeValue(spec.channel)}`,
        );
    }
    const policy = readPolicy(sink, spec.policy, [...leafPath, "policy"]);
    if (policy) leaf.policy = policy;
    if (typeof spec.description === "string") leaf.description = spec.description;
    else if (spec.description !== undefined)
      sink.error([...leafPath, "description"], "description must be a string");
    out.set(name, leaf);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Classification

interface Failure {
  depth: number;
  result: TopicClass;
}

function createTopicTree(
  tree: CompiledTree,
  diagnostics: Diagnostic[],
  options: TopicTreeOptions,
): TopicTree {
  // Hot path: read with peek (no reordering on a hit), so the cap evicts the oldest entry;
  // the working set of a plant is far below it, and a miss only costs a recomputation.
  const cache = createLru<string, TopicClass>(options.cacheEntries ?? 50_000);
  const { naming, levelRegex, root } = tree;
  const reservedDollar: TopicClass = Object.freeze({ kind: "reserved", namespace: "$" });
  const reservedSparkplug: TopicClass = Object.freeze({ kind: "reserved", namespace: "sparkplug" });

  function refused(code: string, reason: string): TopicClass {
    return Object.freeze({ kind: "refused", code, reason });
  }

  function checkNaming(topic: string, levels: string[]): TopicClass | undefined {
    const bytes = Buffer.byteLength(topic, "utf8");
    if (bytes > naming.maxLength) {
      return refused(
        "UNS_ERR_TOPIC_TOO_LONG",
        `topic is ${bytes} bytes long; naming.maxLength accepts at most ${naming.maxLength}`,
      );
    }
    if (/[+#]/.test(topic)) {
      return refused(
        "UNS_ERR_TOPIC_WILDCARD",
        `topic "${topic}" contains a wildcard ('+' or '#'); a topic name must be concrete [MQTT-3.3.2-2]`,
      );
    }
    if (levels.length > naming.maxDepth) {
      return refused(
        "UNS_ERR_TOPIC_TOO_DEEP",
        `topic has ${levels.length} levels; naming.maxDepth accepts at most ${naming.maxDepth}`,
      );
    }
    for (let i = 0; i < levels.length; i++) {
      const value = levels[i]!;
      if (value.length === 0) {
        return refused(
          "UNS_ERR_TOPIC_EMPTY_LEVEL",
          `level ${i + 1} of "${topic}" is empty; every level needs a value matching ${naming.level}`,
        );
      }
      if (!levelRegex.test(value)) {
        if (/\p{Lu}/u.test(value)) {
          return refused(
            "UNS_ERR_TOPIC_UPPERCASE",
            `level ${i + 1} value "${value}" has uppercase letters; levels are lowercase (use "${value.toLowerCase()}")`,
          );
        }
        return refused(
          "UNS_ERR_TOPIC_LEVEL_PATTERN",
          `level ${i + 1} value "${value}" does not match naming.level ${naming.level}`,
        );
      }
    }
    return undefined;
  }

  function accepts(node: CompiledNode, value: string): boolean {
    if (node.enumValues && !node.enumValues.includes(value)) return false;
    if (node.pattern && !node.pattern.test(value)) return false;
    return true;
  }

  function describeAccepted(node: CompiledNode): string {
    const parts: string[] = [];
    if (node.enumValues) parts.push(`one of ${node.enumValues.join(", ")}`);
    if (node.patternSource) parts.push(`pattern ${node.patternSource}`);
    return parts.length ? parts.join(" and ") : "any value";
  }

  /** Where a node sits, named by the topic's own values (clearer than the node's `+` filter). */
  function nodeName(node: CompiledNode, levels: string[], depth: number): string {
    return node === root ? "the root" : `"${levels.slice(0, depth).join("/")}" (${node.level})`;
  }

  function whatContinues(node: CompiledNode): string {
    const options = [
      ...[...node.literal.keys()],
      ...node.variables.map((v) => `{${v.level}}: ${describeAccepted(v)}`),
      ...[...node.leaves.keys()].map((l) => `leaf ${l}`),
    ];
    return options.length ? options.join("; ") : "(nothing)";
  }

  function walk(
    node: CompiledNode,
    levels: string[],
    i: number,
    values: Record<string, string>,
    failure: Failure,
  ): { leaf: CompiledLeaf; values: Record<string, string> } | undefined {
    if (i < levels.length && node.leaves.size > 0) {
      const leaf = node.leaves.get(i === levels.length - 1 ? levels[i]! : levels.slice(i).join("/"));
      if (leaf) return { leaf, values: { ...values } };
    }
    if (i >= levels.length) {
      if (i >= failure.depth) {
        failure.depth = i;
        failure.result = outsideOrRefused(
          node,
          `topic "${levels.join("/")}" ends at node ${nodeName(node, levels, i)}, which is not a leaf; it continues with: ${whatContinues(node)}`,
        );
      }
      return undefined;
    }
    const value = levels[i]!;
    const literal = node.literal.get(value);
    if (literal) {
      values[literal.level] = value;
      const found = walk(literal, levels, i + 1, values, failure);
      delete values[literal.level];
      if (found) return found;
    }
    for (const variable of node.variables) {
      if (!accepts(variable, value)) continue;
      values[variable.level] = value;
      const found = walk(variable, levels, i + 1, values, failure);
      delete values[variable.level];
      if (found) return found;
    }
    if (i >= failure.depth && !literal && !node.variables.some((v) => accepts(v, value))) {
      failure.depth = i;
      if (node.variables.length > 0) {
        // A value that breaks a variable level's rule is a naming error inside the governed tree,
        // so it is refused even when topics outside the tree are allowed.
        const rules = node.variables.map((v) => `{${v.level}} accepts ${describeAccepted(v)}`);
        const literals = [...node.literal.keys()];
        const names = node.variables.map((v) => `"${v.level}"`).join(" or ");
        failure.result = refused(
          "UNS_ERR_TOPIC_VARIABLE_LEVEL",
          `level ${i + 1} (${names}) value "${value}" under ${nodeName(node, levels, i)} is not accepted: ${rules.join("; ")}` +
            (literals.length ? `; or one of ${literals.join(", ")}` : ""),
        );
      } else {
        const name = [...node.literal.values()][0]?.level;
        failure.result = outsideOrRefused(
          node,
          `level ${i + 1}${name ? ` ("${name}")` : ""} value "${value}" is not defined under ${nodeName(node, levels, i)}; accepted here: ${whatContinues(node)}`,
        );
      }
    }
    return undefined;
  }

  function outsideOrRefused(node: CompiledNode, reason: string): TopicClass {
    if (tree.outside === "allow") return Object.freeze({ kind: "outside", policy: node.policy });
    return refused("UNS_ERR_TOPIC_NOT_IN_TREE", `${reason} (the tree has outside: deny)`);
  }

  function classifyUncached(topic: string): TopicClass {
    if (topic.startsWith("$")) return reservedDollar;
    const levels = topic.split("/");
    if (levels[0] === SPARKPLUG_NAMESPACE) return reservedSparkplug;
    const bad = checkNaming(topic, levels);
    if (bad) return bad;
    const failure: Failure = {
      depth: -1,
      result: outsideOrRefused(root, `topic "${topic}" matches no node of the tree`),
    };
    const found = walk(root, levels, 0, {}, failure);
    if (!found) return failure.result;
    return Object.freeze({
      kind: "leaf",
      leaf: found.leaf.name,
      channel: found.leaf.channel,
      policy: found.leaf.policy,
      levels: Object.freeze(found.values),
    });
  }

  function describeNode(node: CompiledNode): TreeNodeDescription {
    const d: TreeNodeDescription = {
      key: node.key,
      level: node.level,
      kind: node.variable ? "variable" : "literal",
      policy: node.policy,
      filter: node.filterLevels.join("/"),
      children: [...node.literal.values(), ...node.variables].map(describeNode),
      leaves: [...node.leaves.values()].map(describeLeaf),
    };
    if (node.patternSource !== undefined) d.pattern = node.patternSource;
    if (node.enumValues) d.enum = [...node.enumValues];
    if (node.description !== undefined) d.description = node.description;
    return d;
  }

  function describeLeaf(leaf: CompiledLeaf): LeafDescription {
    const d: LeafDescription = {
      name: leaf.name,
      filter: leaf.filter,
      channel: leaf.channel,
      policy: leaf.policy,
    };
    if (leaf.description !== undefined) d.description = leaf.description;
    if (leaf.leafSet !== undefined) d.leafSet = leaf.leafSet;
    return d;
  }

  function allLeaves(node: CompiledNode, out: CompiledLeaf[]): CompiledLeaf[] {
    out.push(...node.leaves.values());
    for (const child of node.literal.values()) allLeaves(child, out);
    for (const child of node.variables) allLeaves(child, out);
    return out;
  }

  return {
    file: tree.file,
    naming: Object.freeze({ ...naming }),
    outside: tree.outside,
    policy: tree.policy,
    diagnostics: Object.freeze([...diagnostics]),
    classify(topic) {
      const hit = cache.peek(topic);
      if (hit) return hit;
      const result = classifyUncached(topic);
      cache.set(topic, result);
      return result;
    },
    nodes() {
      return {
        file: tree.file,
        naming: { ...naming },
        outside: tree.outside,
        policy: tree.policy,
        children: [...root.literal.values(), ...root.variables].map(describeNode),
      };
    },
    leafPatterns() {
      return allLeaves(root, []).map((l) => ({
        filter: l.filter,
        leaf: l.name,
        channel: l.channel,
        policy: l.policy,
      }));
    },
  };
}
