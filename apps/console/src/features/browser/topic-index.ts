import type { BrowserTopic } from "@uns/api-contract";

/**
 * The live topic browser's tree, kept in place between polls: a delta from the server replaces
 * the rows it names and adds new topics to the tree; nothing else is rebuilt. Flattening to the
 * visible rows walks only expanded nodes (or, with a filter, the matching topics and their
 * ancestors), so 50,000 topics stay cheap to show, scroll and filter.
 */
export interface BrowserNode {
  name: string;
  path: string;
  depth: number;
  children: Map<string, BrowserNode>;
  /** The topic's own row when messages were published to exactly this path. */
  row: BrowserTopic | null;
  /** Topics at or below this node, and their summed rate now (see `aggregate`). */
  topics: number;
  rate: number;
  invalid: number;
  /** Children in name order, kept until a child is added. */
  sorted: BrowserNode[] | null;
}

export interface FlatRow {
  node: BrowserNode;
  hasChildren: boolean;
  expanded: boolean;
}

const newNode = (name: string, path: string, depth: number): BrowserNode => ({
  name,
  path,
  depth,
  children: new Map(),
  row: null,
  topics: 0,
  rate: 0,
  invalid: 0,
  sorted: null,
});

/** The server's rate window: a topic silent for longer publishes at 0/s now. */
const RATE_WINDOW_MS = 5000;

/** A row's rate at the server's time `now`: the rate it was sent with, unless it has gone quiet since. */
export function rateNow(row: BrowserTopic, now: number): number {
  return row.lastAt && now - Date.parse(row.lastAt) > RATE_WINDOW_MS ? 0 : row.ratePerSecond;
}

export function createTopicIndex() {
  let root = newNode("", "", 0);
  const rows = new Map<string, BrowserTopic>();
  let dirty = true;
  let serverNow = 0;

  function insert(t: BrowserTopic): void {
    let n = root;
    const levels = t.topic.split("/");
    for (let i = 0; i < levels.length; i++) {
      const name = levels[i] as string;
      let c = n.children.get(name);
      if (!c) {
        c = newNode(name, n.path === "" && n.depth === 0 ? name : `${n.path}/${name}`, n.depth + 1);
        n.children.set(name, c);
        n.sorted = null;
      }
      n = c;
    }
    n.row = t;
  }

  /** Subtree counts and rates, post-order; done once per change, not per render. */
  function aggregate(n: BrowserNode): void {
    let topics = n.row ? 1 : 0;
    let rate = n.row ? rateNow(n.row, serverNow) : 0;
    let invalid = n.row?.outcomes.invalid ?? 0;
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

  const sorted = (n: BrowserNode) =>
    [...n.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  return {
    /** Applies a reply of GET /browser/topics (`at` its time); a full reply replaces everything. */
    apply(topics: readonly BrowserTopic[], full: boolean, at: number = Date.now()): void {
      serverNow = at;
      if (full) {
        root = newNode("", "", 0);
        rows.clear();
      }
      for (const t of topics) {
        const had = rows.get(t.topic);
        rows.set(t.topic, t);
        if (had) {
          // Same place in the tree: swap the row on its node.
          let n: BrowserNode | undefined = root;
          for (const l of t.topic.split("/")) n = n?.children.get(l);
          if (n) n.row = t;
          else insert(t);
        } else insert(t);
      }
      dirty = true;
    },
    get size(): number {
      return rows.size;
    },
    row(topic: string): BrowserTopic | undefined {
      return rows.get(topic);
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
      let keep: Set<string> | null = null;
      if (needle) {
        keep = new Set();
        for (const topic of rows.keys()) {
          if (!topic.toLowerCase().includes(needle)) continue;
          let i = topic.indexOf("/");
          while (i >= 0) {
            keep.add(topic.slice(0, i));
            i = topic.indexOf("/", i + 1);
          }
          keep.add(topic);
        }
      }
      const walk = (n: BrowserNode) => {
        for (const c of sorted(n)) {
          if (keep && !keep.has(c.path)) continue;
          const hasChildren = c.children.size > 0;
          const open = hasChildren && (keep !== null || expanded.has(c.path));
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
