/**
 * Topics from a channel's AsyncAPI address (`{enterprise}/{site}/.../weld-spot`): the one place
 * the publish form builds a topic, so a parameter left empty or holding a `/` or wildcard is
 * named instead of producing a topic that silently goes elsewhere.
 */
export function addressParameters(address: string): string[] {
  return [...address.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
}

export function topicFromAddress(
  address: string,
  values: Record<string, string>,
): { topic: string; problems: string[] } {
  const problems: string[] = [];
  const topic = address.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const v = (values[name] ?? "").trim();
    if (v === "") problems.push(`{${name}} is empty`);
    else if (/[/+#]/.test(v)) problems.push(`{${name}} holds "/", "+" or "#": one topic level, no wildcards`);
    return v || `{${name}}`;
  });
  return { topic, problems };
}

/** A first value for a parameter: the only or first value its schema allows, else empty. */
export function defaultParameter(schema: unknown): string {
  if (!schema || typeof schema !== "object") return "";
  const s = schema as { enum?: unknown[]; const?: unknown; default?: unknown; examples?: unknown[] };
  for (const v of [s.const, s.default, s.enum?.[0], s.examples?.[0]]) if (typeof v === "string") return v;
  return "";
}
