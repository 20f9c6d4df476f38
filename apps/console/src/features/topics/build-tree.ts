import type {
  Counts,
  LeafDescription,
  Policy,
  TopicRow,
  TreeDescription,
  TreeNodeDescription,
} from "@uns/api-contract";

/** What the governed tree (topics/tree.yaml) says about one level of a topic. */
export type Governance =
  | {
      type: "node";
      key: string;
      level: string;
      kind: "literal" | "variable";
      pattern?: string;
      enum?: string[];
      policy: Policy;
      description?: string;
    }
  | { type: "leaf"; leaf: string; channel: string | null; policy: Policy; description?: string }
  /** A level inside a leaf that spans levels (`results/weld-quality`). */
  | { type: "leaf-part"; leaf: string };

export interface TopicNode {
  /** This level's value. */
  name: string;
  /** The topic up to and including this level (no trailing slash); "" for the root. */
  path: string;
  depth: number;
  children: TopicNode[];
  /** Messages on this topic and every topic below it, in the window. */
  counts: Counts;
  /** Counts of exactly this topic, when messages were published to it. */
  own: TopicRow | null;
  /** Latest message anywhere in the subtree. */
  lastMessageAt: string | null;
  gov: Governance | null;
}

const zero = (): Counts => ({ valid: 0, invalid: 0, unvalidated: 0, ungoverned: 0, total: 0 });

function child(parent: TopicNode, name: string): TopicNode {
  let c = parent.children.find((x) => x.name === name);
  if (!c) {
    c = {
      name,
      path: parent.path ? `${parent.path}/${name}` : name,
      depth: parent.depth + 1,
      children: [],
      counts: zero(),
      own: null,
      lastMessageAt: null,
      gov: null,
    };
    parent.children.push(c);
  }
  return c;
}

function matches(d: TreeNodeDescription, value: string): boolean {
  if (d.kind === "literal") return d.key === value;
  if (d.enum) return d.enum.includes(value);
  if (d.pattern) {
    try {
      return new RegExp(d.pattern).test(value);
    } catch {
      return false;
    }
  }
  return true;
}

function nodeGov(d: TreeNodeDescription): Governance {
  return {
    type: "node",
    key: d.key,
    level: d.level,
    kind: d.kind,
    pattern: d.pattern,
    enum: d.enum,
    policy: d.policy,
    description: d.description,
  };
}

function leafGov(l: LeafDescription): Governance {
  return { type: "leaf", leaf: l.name, channel: l.channel, policy: l.policy, description: l.description };
}

/** Adds the literal part of the governed tree, so that governed places with no traffic show too. */
function addSkeleton(parent: TopicNode, nodes: TreeNodeDescription[], leaves: LeafDescription[]): void {
  for (const d of nodes) if (d.kind === "literal") addSkeleton(child(parent, d.key), d.children, d.leaves);
  for (const l of leaves) {
    let n = parent;
    for (const level of l.name.split("/")) n = child(n, level);
  }
}

/** Marks each node with the tree node or leaf it falls under. */
function annotate(
  n: TopicNode,
  nodes: TreeNodeDescription[],
  leaves: LeafDescription[],
  pendingLeaf?: { leaf: LeafDescription; rest: string },
): void {
  for (const c of n.children) {
    if (pendingLeaf) {
      const [head, ...tail] = pendingLeaf.rest.split("/");
      if (head === c.name) {
        if (tail.length === 0) c.gov = leafGov(pendingLeaf.leaf);
        else {
          c.gov = { type: "leaf-part", leaf: pendingLeaf.leaf.name };
          annotate(c, [], [], { leaf: pendingLeaf.leaf, rest: tail.join("/") });
        }
      }
      continue;
    }
    // Literal levels win over variable ones, as in the broker's classification.
    const d =
      nodes.find((x) => x.kind === "literal" && x.key === c.name) ??
      nodes.find((x) => x.kind === "variable" && matches(x, c.name));
    if (d) {
      c.gov = nodeGov(d);
      annotate(c, d.children, d.leaves);
      continue;
    }
    const leaf = leaves.find((l) => l.name === c.name);
    if (leaf) {
      c.gov = leafGov(leaf);
      continue;
    }
    const multi = leaves.find((l) => l.name.startsWith(`${c.name}/`));
    if (multi) {
      c.gov = { type: "leaf-part", leaf: multi.name };
      annotate(c, [], [], { leaf: multi, rest: multi.name.slice(c.name.length + 1) });
    }
    // else: outside the governed tree; children stay unmarked too.
  }
}

function aggregate(n: TopicNode): void {
  const c = zero();
  let last = n.own?.lastMessageAt ?? null;
  if (n.own)
    for (const k of ["valid", "invalid", "unvalidated", "ungoverned", "total"] as const) c[k] += n.own[k];
  for (const ch of n.children) {
    aggregate(ch);
    for (const k of ["valid", "invalid", "unvalidated", "ungoverned", "total"] as const) c[k] += ch.counts[k];
    if (ch.lastMessageAt && (!last || ch.lastMessageAt > last)) last = ch.lastMessageAt;
  }
  n.counts = c;
  n.lastMessageAt = last;
  n.children.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
}

/**
 * The topics seen (with their counts) merged with the governed tree: each node knows its level,
 * pattern and policy, or the leaf and channel it is; counts add up the subtree.
 */
export function buildTopicTree(desc: TreeDescription | undefined, rows: TopicRow[]): TopicNode {
  const root: TopicNode = {
    name: "",
    path: "",
    depth: 0,
    children: [],
    counts: zero(),
    own: null,
    lastMessageAt: null,
    gov: null,
  };
  if (desc) addSkeleton(root, desc.children, []);
  for (const r of rows) {
    let n = root;
    for (const level of r.topic.split("/")) n = child(n, level);
    n.own = r;
  }
  if (desc) annotate(root, desc.children, []);
  aggregate(root);
  return root;
}

/** Finds a node by topic path. */
export function findNode(root: TopicNode, path: string): TopicNode | null {
  if (!path) return root;
  let n: TopicNode | undefined = root;
  for (const level of path.split("/")) {
    n = n.children.find((c) => c.name === level);
    if (!n) return null;
  }
  return n;
}

/**
 * Paths to show for a search: every node whose path contains `query` (case-insensitive), and
 * their ancestors. Null when there is no query (show all).
 */
export function searchPaths(root: TopicNode, query: string): Set<string> | null {
  const q = query.trim().toLowerCase();
  if (!q) return null;
  const out = new Set<string>();
  const walk = (n: TopicNode): boolean => {
    let hit = n.path !== "" && n.path.toLowerCase().includes(q);
    for (const c of n.children) if (walk(c)) hit = true;
    if (hit) out.add(n.path);
    return hit;
  };
  walk(root);
  return out;
}

export interface VisibleRow {
  node: TopicNode;
  expanded: boolean;
  hasChildren: boolean;
}

/** The rows on screen, in order: children of expanded nodes, restricted to `only` when given. */
export function visibleRows(root: TopicNode, expanded: Set<string>, only: Set<string> | null): VisibleRow[] {
  const out: VisibleRow[] = [];
  const walk = (n: TopicNode) => {
    for (const c of n.children) {
      if (only && !only.has(c.path)) continue;
      const kids = only ? c.children.filter((k) => only.has(k.path)) : c.children;
      const isOpen = kids.length > 0 && (expanded.has(c.path) || (only !== null && kids.length > 0));
      out.push({ node: c, expanded: isOpen, hasChildren: kids.length > 0 });
      if (isOpen) walk(c);
    }
  };
  walk(root);
  return out;
}

/** Paths of the ancestors of `path` ("a/b/c" -> ["a", "a/b"]). */
export function ancestors(path: string): string[] {
  const parts = path.split("/");
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
}
