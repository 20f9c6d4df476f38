/**
 * MQTT topic names and topic filters (MQTT 3.1.1 section 4.7, MQTT 5.0 section 4.7).
 *
 * Functions take level arrays (`topic.split("/")`) so hot-path callers split once.
 */

/** [MQTT-4.7.3-1] at least one character; [MQTT-3.3.2-2] no wildcards; [MQTT-4.7.3-2] no NUL. */
export function isValidTopicName(topic: string): boolean {
  return topic.length > 0 && !/[+#]/.test(topic) && !topic.includes("\u0000");
}

/**
 * [MQTT-4.7.1-2] `#` must be the last level and alone in it; [MQTT-4.7.1-3] `+` must occupy a
 * whole level; [MQTT-4.7.3-1] non-empty; [MQTT-4.7.3-2] no NUL.
 */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes("\u0000")) return false;
  const levels = filter.split("/");
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level === "#") {
      if (i !== levels.length - 1) return false;
    } else if (level !== "+" && /[+#]/.test(level)) {
      return false;
    }
  }
  return true;
}

/**
 * MQTT 5 shared subscriptions `$share/<group>/<filter>` [MQTT-4.8.2-1]: the access rules apply to
 * the inner filter. Returns the filter unchanged when it is not a shared subscription, and null
 * when it is a malformed one (empty group, group with wildcards, no filter).
 */
export function unshareFilter(filter: string): string | null {
  if (!filter.startsWith("$share/")) return filter;
  const rest = filter.slice("$share/".length);
  const slash = rest.indexOf("/");
  if (slash <= 0) return null;
  const group = rest.slice(0, slash);
  if (/[+#]/.test(group)) return null;
  const inner = rest.slice(slash + 1);
  return inner.length > 0 ? inner : null;
}

/** Does `filter` match the topic name? `#` and `+` in the first level never match `$` topics [MQTT-4.7.2-1]. */
export function filterMatches(filter: readonly string[], topic: readonly string[]): boolean {
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i]!;
    if (f === "#") {
      // [MQTT-4.7.1-2] "sport/#" also matches "sport": # matches the parent and any number of levels.
      return !(i === 0 && topic[0]?.startsWith("$"));
    }
    if (i >= topic.length) return false;
    const t = topic[i]!;
    if (f === "+") {
      if (i === 0 && t.startsWith("$")) return false;
    } else if (f !== t) {
      return false;
    }
  }
  return filter.length === topic.length;
}

/**
 * Is every topic matched by `filter` also matched by `pattern`? This is how a subscription is
 * authorised: `acme/+/x` is covered by `acme/#`, but `#` is not covered by `acme/#`.
 */
export function filterCovers(pattern: readonly string[], filter: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === "#") {
      // A `#` pattern at the first level covers no filter that can only match `$` topics [MQTT-4.7.2-1].
      return !(i === 0 && isDollarLiteral(filter[0]));
    }
    if (i >= filter.length) return false;
    const f = filter[i]!;
    if (f === "#") return false;
    if (p === "+") {
      if (i === 0 && isDollarLiteral(f)) return false;
    } else if (p !== f) {
      return false; // a literal pattern level covers only the same literal, never a wildcard
    }
  }
  return pattern.length === filter.length;
}

/** Is there at least one topic name matched by both filters? */
export function filtersIntersect(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; ; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined && y === undefined) return true;
    if (x === "#") return !(i === 0 && isDollarLiteral(y));
    if (y === "#") return !(i === 0 && isDollarLiteral(x));
    if (x === undefined || y === undefined) return false;
    if (x === "+" && y === "+") continue;
    if (x === "+") {
      if (i === 0 && y.startsWith("$")) return false;
      continue;
    }
    if (y === "+") {
      if (i === 0 && x.startsWith("$")) return false;
      continue;
    }
    if (x !== y) return false;
  }
}

function isDollarLiteral(level: string | undefined): boolean {
  return level?.startsWith("$") === true;
}
