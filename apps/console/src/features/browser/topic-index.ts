import type { BrowserTreeResponse } from "@uns/api-contract";

/**
 * The live topic browser's tree, kept in place between polls: a delta from the server replaces
 * the rows it names and adds new topics to the tree; nothing else is rebuilt. Flattening to the
 * visible rows walks only expanded nodes (or, with a filter, the matching topics and their
 * ancestors), so 50,000 topics stay cheap to show, scroll and filter.
 *
 * Fed by GET /browser/tree (columns): a row holds only what the tree shows; the detail of a
 * topic is fetched when it is selected.
 */
export interface TreeRow {
  topic: string;
  /** Last message delivered, ms since 1970 (null: outcomes only). */
  lastAt: number | null;
  /** Messages per second as of the reply that brought the row. */
  rate: number;
  retained: boolean;
  preview: string;
  invalid: number;
}

export interface BrowserNode {
  name: string;
  path: string;
  depth: number;
  parent: BrowserNode | null;
  /** Null until the node has a child: most nodes are leaves, and 50,000 empty Maps cost. */
  children: Map<string, BrowserNode> | null;
  /** The topic's own row when messages were published to exactly this path. */
  row: TreeRow | null;
  /** Topics at or below this node, and their summed rate now (see `aggregate`). */
  topics: number;
  rate: number;
  invalid: number;
  /** Children in name order, kept until a child is added. */
  sorted: BrowserNode[] | null;
  /** The path lower-cased, made on the first filter. */
  lower: string | null;
  /** The filter generation that kept this node (matches or holds a match). */
  mark: number;
}

export interface FlatRow {
  node: BrowserNode;
  hasChildren: boolean;
  expanded: boolean;
}

const newNode = (name: string, path: string, depth: number, parent: BrowserNode | null): BrowserNode => ({
  name,
  path,
  depth,
  parent,
  children: null,
  row: null,
  topics: 0,
  rate: 0,
  invalid: 0,
  sorted: null,
  lower: null,
  mark: 0,
});

/** The server's rate window: a topic silent for longer publishes at 0/s now. */
const RATE_WINDOW_MS = 5000;

/** A row's rate at the server's time `now`: the rate it was sent with, unless it has gone quiet since. */
export function rateNow(row: TreeRow, now: number): number {
  return row.lastAt !== null && now - row.lastAt > RATE_WINDOW_MS ? 0 : row.rate;
}

const byName = (a: BrowserNode, b: BrowserNode) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The rows of a reply of GET /browser/tree, one object per topic. */
export function rowsOf(r: BrowserTreeResponse): TreeRow[] {
  const out = new Array<TreeRow>(r.topics.length);
  for (let i = 0; i < r.topics.length; i++)
    out[i] = {
      topic: r.topics[i] as string,
      lastAt: r.lastAt[i] || null, // 0: no message delivered yet
      rate: r.rate[i] ?? 0,
      retained: r.retained[i] === 1,
      preview: r.preview[i] ?? "",
      invalid: r.invalid[i] ?? 0,
    };
  return out;
}

export function createTopicIndex() {
  let root = newNode("", "", 0, null);
  /** Every topic's own node, in the order added (what the filter goes through). */
  let leaves: BrowserNode[] = [];
  let dirty = true;
  let serverNow = 0;
  /** Until this server time some row's rate is not 0 yet (see `rateNow`). */
  let liveUntil = 0;
  // The last filter's marks stay valid until the filter or the set of topics changes.
  let generation = 0;
  let marked: { needle: string; shape: number } | null = null;
  let shape = 0;

  // The previous topic inserted and its nodes by level: a list in name (or publish) order shares
  // most levels with the topic before, which are then neither split nor looked up again.
  let prevTopic = "";
  let prevNodes: BrowserNode[] = [];

  function insert(t: TreeRow): void {
    const topic = t.topic;
    // Levels shared with the previous topic: complete levels inside the common prefix.
    let common = 0;
    const max = Math.min(topic.length, prevTopic.length);
    while (common < max && topic.charCodeAt(common) === prevTopic.charCodeAt(common)) common++;
    let level = 0;
    let from = 0;
    let n = root;
    for (;;) {
      const end = topic.indexOf("/", from);
      // Level `level` ends at `end`; it is the previous topic's when the prefix covers its "/".
      if (end < 0 || end >= common || level >= prevNodes.length - 1) break;
      n = prevNodes[level] as BrowserNode;
      level++;
      from = end + 1;
    }
    // The stack becomes this topic's: its shared levels stay, the others are replaced.
    const nodes = prevNodes;
    nodes.length = level;
    for (;;) {
      const end = topic.indexOf("/", from);
      const name = end < 0 ? topic.slice(from) : topic.slice(from, end);
      n.children ??= new Map();
      let c = n.children.get(name);
      if (!c) {
        c = newNode(name, end < 0 ? topic : topic.slice(0, end), n.depth + 1, n);
        n.children.set(name, c);
        n.sorted = null;
      }
      n = c;
      nodes.push(c);
      if (end < 0) break;
      from = end + 1;
    }
    if (!n.row) leaves.push(n);
    n.row = t;
    shape++;
    prevTopic = topic;
  }

  /** A topic's node, by its levels (only deltas look topics up: a full reply inserts them all). */
  function find(topic: string): BrowserNode | undefined {
    let n: BrowserNode | undefined = root;
    let from = 0;
    while (n) {
      const end = topic.indexOf("/", from);
      n = n.children?.get(end < 0 ? topic.slice(from) : topic.slice(from, end));
      if (end < 0) return n;
      from = end + 1;
    }
    return undefined;
  }

  /** Subtree counts and rates, post-order; done once per change, not per render. */
  function aggregate(n: BrowserNode): void {
    let topics = n.row ? 1 : 0;
    let rate = n.row ? rateNow(n.row, serverNow) : 0;
    let invalid = n.row?.invalid ?? 0;
    if (n.children)
      for (const c of n.children.values()) {
        aggregate(c);
        topics += c.topics;
        rate += c.rate;
        invalid += c.invalid;
      }
    n.topics = topics;
    n.rate = rate;
    n.invalid = invalid;
  }

  /** Marks every topic containing `needle` and its ancestors with a new generation. */
  function mark(needle: string): number {
    if (marked && marked.needle === needle && marked.shape === shape) return generation;
    const gen = ++generation;
    for (const leaf of leaves) {
      leaf.lower ??= leaf.path.toLowerCase();
      if (!leaf.lower.includes(needle)) continue;
      // Up to the first ancestor already kept: each node is marked once per filter.
      for (let n: BrowserNode | null = leaf; n && n !== root && n.mark !== gen; n = n.parent) n.mark = gen;
    }
    marked = { needle, shape };
    return gen;
  }

  const sorted = (n: BrowserNode): BrowserNode[] => {
    n.sorted ??= n.children ? [...n.children.values()].sort(byName) : [];
    return n.sorted;
  };

  return {
    /**
     * Applies rows of a reply (`at` its server time); a full reply replaces everything. False when
     * nothing on screen changes: no row, and no rate that the time passed brings down to 0.
     */
    apply(topics: readonly TreeRow[], full: boolean, at: number = Date.now()): boolean {
      const before = serverNow;
      serverNow = at;
      if (full) {
        root = newNode("", "", 0, null);
        leaves = [];
        prevTopic = "";
        prevNodes = [];
        shape++;
        liveUntil = 0;
      }
      for (const t of topics) {
        // A full reply names each topic once: no need to look it up first.
        const n = full ? undefined : find(t.topic);
        // Same place in the tree: swap the row on its node.
        if (n?.row) n.row = t;
        else insert(t);
        if (t.rate > 0 && t.lastAt !== null) liveUntil = Math.max(liveUntil, t.lastAt + RATE_WINDOW_MS);
      }
      const changed = full || topics.length > 0 || before <= liveUntil;
      if (changed) dirty = true;
      return changed;
    },
    get size(): number {
      return leaves.length;
    },
    row(topic: string): TreeRow | undefined {
      return find(topic)?.row ?? undefined;
    },
    /** The server's time of the last reply applied (rates are "now" as of then). */
    get at(): number {
      return serverNow;
    },
    /**
     * The rows to show: expanded nodes' children in name order; with a filter, every topic whose
     * path contains it (case-insensitive) with its ancestors, all open.
     */
    flatten(expanded: ReadonlySet<string>, filter: string): FlatRow[] {
      if (dirty) {
        aggregate(root);
        dirty = false;
      }
      const out: FlatRow[] = [];
      const needle = filter.trim().toLowerCase();
      const gen = needle ? mark(needle) : 0;
      const walk = (n: BrowserNode) => {
        for (const c of sorted(n)) {
          if (gen && c.mark !== gen) continue;
          const hasChildren = c.children !== null && c.children.size > 0;
          const open = hasChildren && (gen !== 0 || expanded.has(c.path));
          out.push({ node: c, hasChildren, expanded: open });
          if (open) walk(c);
        }
      };
      walk(root);
      return out;
    },
  };
}

export type TopicIndex = ReturnType<typeof createTopicIndex>;

/** The paths to open so that `topic` is visible. */
export function ancestorsOf(topic: string): string[] {
  const out: string[] = [];
  let i = topic.indexOf("/");
  while (i >= 0) {
    out.push(topic.slice(0, i));
    i = topic.indexOf("/", i + 1);
  }
  return out;
}
