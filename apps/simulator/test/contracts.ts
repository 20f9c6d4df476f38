// Test helpers: the repository's contracts and topic tree, read straight from asyncapi/ and topics/
// and compiled with ajv, independently of @uns/contracts.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../../..");
export const ASYNCAPI_DIR = join(ROOT, "asyncapi");
export const TOPICS_DIR = join(ROOT, "topics");

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on .default.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

// Parsed YAML is walked dynamically; one alias keeps the `any` in one place.
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML of arbitrary shape
export type Yaml = any;

export interface ContractDocument {
  file: string;
  doc: Record<string, Yaml>;
}

export interface ChannelInfo {
  id: string;
  file: string;
  address: string;
  parameters: Record<string, { enum?: string[]; "x-pattern"?: string }>;
  /** Message payload validator (one message per channel in our documents). */
  validate: ValidateFunction;
  examples: { name: string; payload: unknown }[];
}

export function loadDocuments(): ContractDocument[] {
  return readdirSync(ASYNCAPI_DIR)
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort()
    .map((file) => ({ file, doc: parse(readFileSync(join(ASYNCAPI_DIR, file), "utf8")) }));
}

function resolveRef(doc: Record<string, Yaml>, value: Yaml): Yaml {
  if (value && typeof value === "object" && typeof value.$ref === "string") {
    const path = value.$ref.replace(/^#\//, "").split("/");
    let node: Yaml = doc;
    for (const p of path) node = node?.[p];
    if (node === undefined) throw new Error(`unresolved ${value.$ref}`);
    return resolveRef(doc, node);
  }
  return value;
}

export function loadChannels(): Map<string, ChannelInfo> {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  const channels = new Map<string, ChannelInfo>();
  for (const { file, doc } of loadDocuments()) {
    // The whole document is registered so `#/components/schemas/...` refs resolve inside it.
    ajv.addSchema(doc, file);
    for (const [id, raw] of Object.entries<Yaml>(doc.channels ?? {})) {
      if (channels.has(id))
        throw new Error(`channel id ${id} in ${file} is also in ${channels.get(id)!.file}`);
      const messages = Object.values<Yaml>(raw.messages ?? {}).map((m) => resolveRef(doc, m));
      if (messages.length !== 1) throw new Error(`${file} ${id}: expected one message`);
      const message = messages[0];
      const payloadRef = message.payload.$ref as string;
      const validate = ajv.getSchema(`${file}${payloadRef}`);
      if (!validate) throw new Error(`${file} ${id}: cannot compile ${payloadRef}`);
      const parameters: ChannelInfo["parameters"] = {};
      for (const [name, p] of Object.entries<Yaml>(raw.parameters ?? {}))
        parameters[name] = resolveRef(doc, p);
      channels.set(id, {
        id,
        file,
        address: raw.address,
        parameters,
        validate,
        examples: (message.examples ?? []).map((e: Yaml) => ({ name: e.name, payload: e.payload })),
      });
    }
  }
  return channels;
}

/** Whether a topic fits a channel address, with each parameter checked against its enum or pattern. */
export function matchAddress(channel: ChannelInfo, topic: string): boolean {
  const want = channel.address.split("/");
  const got = topic.split("/");
  if (want.length !== got.length) return false;
  return want.every((level, i) => {
    const value = got[i]!;
    const m = /^\{(.+)\}$/.exec(level);
    if (!m) return level === value;
    const p = channel.parameters[m[1]!];
    if (!p) return false;
    if (p.enum && !p.enum.includes(value)) return false;
    if (p["x-pattern"] && !new RegExp(p["x-pattern"]).test(value)) return false;
    return true;
  });
}

interface TreeNode {
  level?: string;
  pattern?: string;
  leaves?: string;
  policy?: string;
  children?: Record<string, TreeNode>;
}

export interface Tree {
  naming: { maxDepth: number; maxLength: number; level: string };
  tree: Record<string, TreeNode>;
  leafSets: Record<string, Record<string, { channel: string; policy?: string }>>;
}

export function loadTree(): Tree {
  return parse(readFileSync(join(TOPICS_DIR, "tree.yaml"), "utf8"));
}

/** All leaves of the tree: each a list of level matchers plus the leaf's path and channel. */
export function treeLeaves(
  tree: Tree,
): { levels: TreeNode[]; keys: string[]; leaf: string; channel: string; policy?: string }[] {
  const out: ReturnType<typeof treeLeaves> = [];
  const walk = (nodes: Record<string, TreeNode>, keys: string[], levels: TreeNode[]) => {
    for (const [key, node] of Object.entries(nodes)) {
      const k = [...keys, key];
      const l = [...levels, node];
      if (node.leaves) {
        const set = tree.leafSets[node.leaves];
        if (!set) throw new Error(`tree node ${k.join("/")}: no leaf set ${node.leaves}`);
        for (const [leaf, def] of Object.entries(set))
          out.push({ levels: l, keys: k, leaf, channel: def.channel, policy: def.policy });
      }
      if (node.children) walk(node.children, k, l);
    }
  };
  walk(tree.tree, [], []);
  return out;
}

const leafCache = new WeakMap<Tree, ReturnType<typeof treeLeaves>>();

/** The channel id the tree gives a topic, or null when the topic is outside the tree. */
export function channelOfTopic(tree: Tree, topic: string): string | null {
  if (Buffer.byteLength(topic) > tree.naming.maxLength) return null;
  const levels = topic.split("/");
  if (levels.length > tree.naming.maxDepth) return null;
  const naming = new RegExp(tree.naming.level);
  if (!levels.every((l) => naming.test(l))) return null;
  let leaves = leafCache.get(tree);
  if (!leaves) {
    leaves = treeLeaves(tree);
    leafCache.set(tree, leaves);
  }
  for (const leaf of leaves) {
    const leafLevels = leaf.leaf.split("/");
    if (levels.length !== leaf.keys.length + leafLevels.length) continue;
    const fits = leaf.keys.every((key, i) => {
      const value = levels[i]!;
      if (!/^\{.+\}$/.test(key)) return key === value;
      const pattern = leaf.levels[i]!.pattern;
      return pattern ? new RegExp(pattern).test(value) : true;
    });
    if (fits && leafLevels.every((l, i) => levels[leaf.keys.length + i] === l)) return leaf.channel;
  }
  return null;
}

/** MQTT topic filter matching [MQTT-4.7]: `+` one level, `#` the rest; wildcards never match `$` topics at the first level. */
export function filterMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  if (t[0]?.startsWith("$") && (f[0] === "+" || f[0] === "#")) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

export function loadAccess(): { roles: Record<string, { publish?: string[]; subscribe?: string[] }> } {
  return parse(readFileSync(join(TOPICS_DIR, "access.yaml"), "utf8"));
}
