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
  children: Map<string, BrowserNode>;
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
  children: new Map(),
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
      lastAt: r.lastAt[i] ?? null,
      rate: r.rate[i] ?? 0,
      retained: r.retained[i] === 1,
      preview: r.preview[i] ?? "",
      invalid: r.invalid[i] ?? 0,
    };
  return out;
}

export function createTopicIndex() {
  let root = newNode("", "", 0, null);
  /** Each topic's own node: a delta finds its place without walking the levels. */
  const leaves = new Map<string, BrowserNode>();
  let dirty = true;
  let serverNow = 0;
  // The last filter's marks stay valid until the filter or the set of topics changes.
  let generation = 0;
  let marked: { needle: string; shape: number } | null = null;
  let shape = 0;

  function insert(t: TreeRow): void {
    let n = root;
    let from = 0;
    for (;;) {
      const end = t.topic.indexOf("/", from);
      const name = end < 0 ? t.topic.slice(from) : t.topic.slice(from, end);
      let c = n.children.get(name);
      if (!c) {
        c = newNode(name, end < 0 ? t.topic : t.topic.slice(0, end), n.depth + 1, n);
        n.children.set(name, c);
        n.sorted = null;
      }
      n = c;
      if (end < 0) break;
      from = end + 1;
    }
    n.row = t;
    leaves.set(t.topic, n);
    shape++;
  }

  /** Subtree counts and rates, post-order; done once per change, not per render. */
  function aggregate(n: BrowserNode): void {
    let topics = n.row ? 1 : 0;
    let rate = n.row ? rateNow(n.row, serverNow) : 0;
    let invalid = n.row?.invalid ?? 0;
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
    for (const leaf of leaves.values()) {
      leaf.lower ??= leaf.path.toLowerCase();
      if (!leaf.lower.includes(needle)) continue;
      // Up to the first ancestor already kept: each node is marked once per filter.
      for (let n: BrowserNode | null = leaf; n && n !== root && n.mark !== gen; n = n.parent) n.mark = gen;
    }
    marked = { needle, shape };
    return gen;
  }

  const sorted = (n: BrowserNode): BrowserNode[] => {
    n.sorted ??= [...n.children.values()].sort(byName);
    return n.sorted;
  };

  return {
    /** Applies rows of a reply (`at` its server time); a full reply replaces everything. */
    apply(topics: readonly TreeRow[], full: boolean, at: number = Date.now()): void {
      serverNow = at;
      if (full) {
        root = newNode("", "", 0, null);
        leaves.clear();
        shape++;
      }
      for (const t of topics) {
        const n = leaves.get(t.topic);
        // Same place in the tree: swap the row on its node.
        if (n) n.row = t;
        else insert(t);
      }
      dirty = true;
    },
    get size(): number {
      return leaves.size;
    },
    row(topic: string): TreeRow | undefined {
      return leaves.get(topic)?.row ?? undefined;
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
          const hasChildren = c.children.size > 0;
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
