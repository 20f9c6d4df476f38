import type { TreeDescription, TreeNodeDescription } from "@uns/api-contract";

/**
 * Names of the topic levels by depth, from the governed tree: `["enterprise", "site", "area",
 * "line", "cell"]`. Where branches disagree the first name met wins; a depth no node names is
 * called "level N".
 */
export function levelNames(tree: TreeDescription | undefined, maxDepth = 8): string[] {
  const names: string[] = [];
  const walk = (nodes: TreeNodeDescription[], depth: number) => {
    if (depth >= maxDepth) return;
    for (const n of nodes) {
      names[depth] ??= n.level;
      walk(n.children, depth + 1);
    }
  };
  if (tree) walk(tree.children, 0);
  return Array.from({ length: Math.max(names.length, 1) }, (_, i) => names[i] || `level ${i + 1}`);
}

/** The depth to group by first: the second level (sites under the enterprise) when there is one. */
export function defaultDepth(names: string[]): number {
  return names.length >= 2 ? 2 : 1;
}
