import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Document, isMap, isScalar } from "yaml";
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
import { createLru } from "./lru.js";
import {
  filterCovers,
  filterMatches,
  filtersIntersect,
  isValidFilter,
  isValidTopicName,
  unshareFilter,
} from "./mqtt-filter.js";
import { hashPassword, parsePasswordHash, verifyPassword } from "./password.js";

/** Who is asking: set by the broker at CONNECT. */
export interface Identity {
  username: string | null;
  clientId: string;
  roles: readonly string[];
}

export type ApiAccess = "admin" | "read";

export interface RoleRules {
  /** MQTT filters, may hold `{username}` / `{clientid}`. */
  publish: string[];
  subscribe: string[];
  /** What the role may do in the HTTP API; absent = nothing. */
  api?: ApiAccess;
  /**
   * Filters refused even where a grant (of any of the identity's roles) allows them, like
   * mosquitto's and EMQX's deny rules: a publish to a topic a deny filter matches is refused, and
   * so is a subscription whose filter could receive such a topic.
   */
  deny?: { publish: string[]; subscribe: string[] };
}

export interface PublicUser {
  username: string;
  roles: string[];
}

export type AuthResult =
  | { ok: true; user: PublicUser }
  | { ok: false; reason: "unknown-user" | "wrong-password" | "missing-password" };

export interface Access {
  /** Role given to clients that connect without a username, or null when they are refused. */
  readonly anonymousRole: string | null;
  /** The role names defined in access.yaml, sorted. */
  roles(): string[];
  /** A role's rules (for the API), or undefined when no such role exists. */
  role(name: string): Readonly<RoleRules> | undefined;
  /** Warnings found while loading. */
  readonly diagnostics: readonly Diagnostic[];
  /**
   * Check a username and password (MQTT CONNECT or HTTP basic auth). Takes the same time for
   * unknown users as for wrong passwords, so usernames cannot be probed.
   */
  authenticate(username: string, password: string | Uint8Array | null | undefined): Promise<AuthResult>;
  /** May this identity publish to the topic name? Cached per identity and topic. */
  canPublish(identity: Identity, topic: string): boolean;
  /**
   * May this identity subscribe to the filter? Allowed only when one allowed pattern covers every
   * topic the filter can match. `$share/<group>/` is checked on the inner filter.
   */
  canSubscribe(identity: Identity, filter: string): boolean;
  /** The highest API access of the identity's roles, or null. */
  apiAccess(identity: Identity): ApiAccess | null;
  /** Users without their password hashes, sorted by name. */
  users(): PublicUser[];
}

export interface AccessOptions {
  /** Entries in the per-identity ACL decision cache (default 50 000). */
  cacheEntries?: number;
}

interface UserRecord {
  username: string;
  roles: string[];
  password: string;
}

const ACCESS_KEYS = ["anonymous", "roles"];
const ROLE_KEYS = ["publish", "subscribe", "api", "deny"];
const DENY_KEYS = ["publish", "subscribe"];
const USER_KEYS = ["roles", "password"];
const PLACEHOLDER = /\{([^}]*)\}/g;
const PLACEHOLDERS = new Set(["username", "clientid"]);
const USERNAME = /^[A-Za-z0-9._@-]{1,128}$/;

/**
 * Read `<dir>/access.yaml` and `<dir>/users.yaml` (a missing users.yaml means no users).
 * Throws `UNS_ERR_ACCESS_READ` or `UNS_ERR_ACCESS_INVALID` with `details.diagnostics`.
 */
export function loadAccess(dir: string, options: AccessOptions = {}): Access {
  const accessFile = join(dir, "access.yaml");
  const usersFile = join(dir, "users.yaml");
  const accessText = readText(accessFile);
  const usersText = existsSync(usersFile) ? readText(usersFile) : null;
  return parseAccess(accessText, accessFile, usersText, usersFile, options);
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (cause) {
    throw createError("UNS_ERR_ACCESS_READ", `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** Build access rules from YAML texts; file names are used in diagnostics only. */
export function parseAccess(
  accessText: string,
  accessFile: string,
  usersText: string | null,
  usersFile: string,
  options: AccessOptions = {},
): Access {
  const accessSrc = parseYamlSource(accessText, accessFile, "UNS_ERR_ACCESS_INVALID");
  const accessSink = createDiagnosticSink(accessSrc, "UNS_ERR_ACCESS_INVALID");
  const parsed = accessSink.hasErrors() ? undefined : readAccess(accessSrc.doc.toJS(), accessSink);

  let users: UserRecord[] = [];
  const diagnostics = [...accessSink.list];
  if (usersText !== null) {
    const usersSrc = parseYamlSource(usersText, usersFile, "UNS_ERR_ACCESS_INVALID");
    const usersSink = createDiagnosticSink(usersSrc, "UNS_ERR_ACCESS_INVALID");
    if (!usersSink.hasErrors()) users = readUsers(usersSrc.doc.toJS(), usersSink, parsed?.roles);
    diagnostics.push(...usersSink.list);
  }
  if (!parsed || diagnostics.some((d) => d.severity === "error")) {
    throw createError("UNS_ERR_ACCESS_INVALID", summarizeDiagnostics("invalid access rules:", diagnostics), {
      details: { diagnostics },
    });
  }
  return createAccess(parsed.anonymous, parsed.roles, users, diagnostics, options);
}

function readAccess(
  raw: unknown,
  sink: DiagnosticSink,
): { anonymous: string | null; roles: Record<string, RoleRules> } | undefined {
  if (!isPlainObject(raw)) {
    sink.error(
      [],
      `access rules must be a map with keys ${ACCESS_KEYS.join(", ")}; got ${describeValue(raw)}`,
    );
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!ACCESS_KEYS.includes(key))
      sink.error([key], `unknown key "${key}"; accepted keys: ${ACCESS_KEYS.join(", ")}`, { key: true });
  }
  const roles: Record<string, RoleRules> = {};
  if (!isPlainObject(raw.roles)) {
    sink.error(
      raw.roles === undefined ? [] : ["roles"],
      "roles must be a map: role name -> { publish: [filters], subscribe: [filters], api }",
    );
  } else {
    for (const [name, spec] of Object.entries(raw.roles)) {
      const path = ["roles", name];
      const rules: RoleRules = { publish: [], subscribe: [] };
      const obj = spec ?? {};
      if (!isPlainObject(obj)) {
        sink.error(
          path,
          `a role must be a map with keys ${ROLE_KEYS.join(", ")}, got ${describeValue(spec)}`,
        );
        continue;
      }
      for (const key of Object.keys(obj)) {
        if (!ROLE_KEYS.includes(key))
          sink.error([...path, key], `unknown key "${key}"; accepted keys: ${ROLE_KEYS.join(", ")}`, {
            key: true,
          });
      }
      for (const kind of ["publish", "subscribe"] as const) {
        const list = obj[kind];
        if (list === undefined) continue;
        if (!Array.isArray(list)) {
          sink.error([...path, kind], `${kind} must be a list of MQTT filters, got ${describeValue(list)}`);
          continue;
        }
        list.forEach((pattern, i) => {
          const problem = checkPattern(pattern);
          if (problem) sink.error([...path, kind, i], problem);
          else rules[kind].push(pattern as string);
        });
      }
      if (obj.deny !== undefined) {
        const deny = obj.deny ?? {};
        if (!isPlainObject(deny)) {
          sink.error(
            [...path, "deny"],
            `deny must be a map { publish: [filters], subscribe: [filters] }, got ${describeValue(obj.deny)}`,
          );
        } else {
          rules.deny = { publish: [], subscribe: [] };
          for (const key of Object.keys(deny)) {
            if (!DENY_KEYS.includes(key))
              sink.error(
                [...path, "deny", key],
                `unknown key "${key}"; accepted keys: ${DENY_KEYS.join(", ")}`,
                {
                  key: true,
                },
              );
          }
          for (const kind of ["publish", "subscribe"] as const) {
            const list = deny[kind];
            if (list === undefined) continue;
            if (!Array.isArray(list)) {
              sink.error(
                [...path, "deny", kind],
                `${kind} must be a list of MQTT filters, got ${describeValue(list)}`,
              );
              continue;
            }
            list.forEach((pattern, i) => {
              const problem = checkPattern(pattern);
              if (problem) sink.error([...path, "deny", kind, i], problem);
              else rules.deny![kind].push(pattern as string);
            });
          }
        }
      }
      if (obj.api !== undefined) {
        if (obj.api === "admin" || obj.api === "read") rules.api = obj.api;
        else sink.error([...path, "api"], `api must be "admin" or "read", got ${describeValue(obj.api)}`);
      }
      roles[name] = rules;
    }
  }
  let anonymous: string | null = null;
  if (raw.anonymous !== undefined && raw.anonymous !== false && raw.anonymous !== null) {
    if (typeof raw.anonymous !== "string") {
      sink.error(
        ["anonymous"],
        `anonymous must be false or a role name, got ${describeValue(raw.anonymous)}`,
      );
    } else if (!(raw.anonymous in roles)) {
      sink.error(
        ["anonymous"],
        `anonymous names role "${raw.anonymous}", which is not defined; defined roles: ${Object.keys(roles).join(", ") || "(none)"}`,
        {
          code: "UNS_ERR_ACCESS_UNKNOWN_ROLE",
        },
      );
    } else {
      anonymous = raw.anonymous;
    }
  }
  return { anonymous, roles };
}

function checkPattern(pattern: unknown): string | undefined {
  if (typeof pattern !== "string")
    return `a pattern must be a string (an MQTT filter), got ${describeValue(pattern)}`;
  for (const m of pattern.matchAll(PLACEHOLDER)) {
    if (!PLACEHOLDERS.has(m[1]!))
      return `unknown placeholder "{${m[1]}}" in "${pattern}"; accepted: {username}, {clientid}`;
  }
  if (!isValidFilter(pattern.replace(PLACEHOLDER, "x"))) {
    return `"${pattern}" is not a valid MQTT filter: '#' must be last and alone in its level, '+' alone in its level [MQTT-4.7.1-2] [MQTT-4.7.1-3]`;
  }
  return undefined;
}

function readUsers(
  raw: unknown,
  sink: DiagnosticSink,
  roles: Record<string, RoleRules> | undefined,
): UserRecord[] {
  const out: UserRecord[] = [];
  if (raw === null || raw === undefined) return out; // an empty file is no users
  if (!isPlainObject(raw) || Object.keys(raw).some((k) => k !== "users")) {
    sink.error(
      [],
      "users.yaml must be a map with the single key users: { <name>: { roles: [..], password: scrypt$... } }",
    );
    return out;
  }
  if (raw.users === null || raw.users === undefined) return out;
  if (!isPlainObject(raw.users)) {
    sink.error(
      ["users"],
      `users must be a map of username -> { roles, password }, got ${describeValue(raw.users)}`,
    );
    return out;
  }
  for (const [username, spec] of Object.entries(raw.users)) {
    const path = ["users", username];
    if (!USERNAME.test(username)) {
      sink.error(
        path,
        `username "${username}" is not allowed; use 1-128 letters, digits, '.', '_', '-' or '@'`,
        {
          key: true,
          code: "UNS_ERR_ACCESS_BAD_USERNAME",
        },
      );
      continue;
    }
    if (!isPlainObject(spec)) {
      sink.error(path, `a user must be a map with keys ${USER_KEYS.join(", ")}, got ${describeValue(spec)}`);
      continue;
    }
    for (const key of Object.keys(spec)) {
      if (!USER_KEYS.includes(key))
        sink.error([...path, key], `unknown key "${key}"; accepted keys: ${USER_KEYS.join(", ")}`, {
          key: true,
        });
    }
    if (typeof spec.password !== "string" || !parsePasswordHash(spec.password)) {
      sink.error(
        [...path, "password"],
        "password must be a hash scrypt$N$r$p$<salt>$<hash>; set it with `uns user add`",
        {
          code: "UNS_ERR_ACCESS_BAD_PASSWORD",
        },
      );
      continue;
    }
    if (!Array.isArray(spec.roles) || !spec.roles.every((r) => typeof r === "string")) {
      sink.error([...path, "roles"], `roles must be a list of role names, got ${describeValue(spec.roles)}`);
      continue;
    }
    const userRoles = spec.roles as string[];
    if (roles) {
      userRoles.forEach((r, i) => {
        if (!(r in roles)) {
          sink.error(
            [...path, "roles", i],
            `role "${r}" is not defined in access.yaml; defined: ${Object.keys(roles).join(", ") || "(none)"}`,
            {
              code: "UNS_ERR_ACCESS_UNKNOWN_ROLE",
            },
          );
        }
      });
    }
    out.push({ username, roles: [...userRoles], password: spec.password });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

interface CompiledPattern {
  source: string;
  /** Split levels when the pattern has no placeholder (the common case). */
  levels: string[] | null;
}

function compilePatterns(list: readonly string[]): CompiledPattern[] {
  return list.map((source) => ({ source, levels: PLACEHOLDER_TEST.test(source) ? null : source.split("/") }));
}
const PLACEHOLDER_TEST = /\{(username|clientid)\}/;

/**
 * Substitute `{username}` / `{clientid}`. A value that is empty or holds '/', '+', '#' or NUL
 * would change the filter's shape (a client id "+" would become a wildcard), so such a pattern
 * grants nothing to that identity.
 */
function substitute(pattern: CompiledPattern, identity: Identity): string[] | null {
  if (pattern.levels) return pattern.levels;
  let ok = true;
  const text = pattern.source.replace(PLACEHOLDER, (_m, name: string) => {
    const value = name === "username" ? identity.username : identity.clientId;
    if (value === null || value.length === 0 || /[/+#]/.test(value) || value.includes("\u0000")) ok = false;
    return value ?? "";
  });
  return ok ? text.split("/") : null;
}

/** One per process, so a reload of users.yaml does not make the next unknown user slower. */
let dummyHash: Promise<string> | undefined;

function createAccess(
  anonymousRole: string | null,
  roles: Record<string, RoleRules>,
  users: UserRecord[],
  diagnostics: Diagnostic[],
  options: AccessOptions,
): Access {
  const byName = new Map(users.map((u) => [u.username, u]));
  const compiled = new Map(
    Object.entries(roles).map(([name, r]) => [
      name,
      {
        publish: compilePatterns(r.publish),
        subscribe: compilePatterns(r.subscribe),
        denyPublish: compilePatterns(r.deny?.publish ?? []),
        denySubscribe: compilePatterns(r.deny?.subscribe ?? []),
      },
    ]),
  );
  // Hot path: read with peek (no reordering on a hit), so the cap evicts the oldest entry;
  // the working set of a plant is far below it, and a miss only costs a recomputation.
  const cache = createLru<string, boolean>(options.cacheEntries ?? 50_000);

  function key(kind: string, identity: Identity, subject: string): string {
    const user = identity.username === null ? "\u0000" : `u${identity.username}`;
    return `${kind}\u0001${user}\u0001${identity.clientId}\u0001${identity.roles.join("\u0002")}\u0001${subject}`;
  }

  function decide(kind: "publish" | "subscribe", identity: Identity, levels: string[]): boolean {
    // A deny in any role wins over every grant. A deny pattern whose placeholder cannot be
    // filled (no username) is applied with the placeholder as a wildcard level: fail closed.
    for (const role of identity.roles) {
      const rules = compiled.get(role);
      if (!rules) continue;
      for (const pattern of kind === "publish" ? rules.denyPublish : rules.denySubscribe) {
        const p = substitute(pattern, identity) ?? pattern.source.replace(PLACEHOLDER, "+").split("/");
        if (kind === "publish" ? filterMatches(p, levels) : filtersIntersect(p, levels)) return false;
      }
    }
    for (const role of identity.roles) {
      const rules = compiled.get(role);
      if (!rules) continue;
      for (const pattern of rules[kind]) {
        const p = substitute(pattern, identity);
        if (!p) continue;
        if (kind === "publish" ? filterMatches(p, levels) : filterCovers(p, levels)) return true;
      }
    }
    return false;
  }

  const frozenRoles: Record<string, Readonly<RoleRules>> = {};
  for (const [name, r] of Object.entries(roles))
    frozenRoles[name] = Object.freeze({
      ...r,
      publish: [...r.publish],
      subscribe: [...r.subscribe],
      ...(r.deny ? { deny: { publish: [...r.deny.publish], subscribe: [...r.deny.subscribe] } } : {}),
    });

  return {
    anonymousRole,
    roles: () => Object.keys(frozenRoles).sort(),
    role: (name) => (Object.hasOwn(frozenRoles, name) ? frozenRoles[name] : undefined),
    diagnostics: Object.freeze([...diagnostics]),
    async authenticate(username, password) {
      const user = byName.get(username);
      const pw =
        password == null
          ? ""
          : typeof password === "string"
            ? password
            : Buffer.from(password).toString("utf8");
      if (!user) {
        // Spend the same scrypt work as a real check so response time does not reveal usernames.
        dummyHash ??= hashPassword("not-a-real-password");
        await verifyPassword(pw, await dummyHash);
        return { ok: false, reason: "unknown-user" };
      }
      // An empty password is checked too (and fails): answering it at once would tell that the user exists.
      if (!(await verifyPassword(pw, user.password)))
        return { ok: false, reason: pw.length === 0 ? "missing-password" : "wrong-password" };
      return { ok: true, user: { username: user.username, roles: [...user.roles] } };
    },
    canPublish(identity, topic) {
      const k = key("p", identity, topic);
      const hit = cache.peek(k);
      if (hit !== undefined) return hit;
      const allowed = isValidTopicName(topic) && decide("publish", identity, topic.split("/"));
      cache.set(k, allowed);
      return allowed;
    },
    canSubscribe(identity, filter) {
      const k = key("s", identity, filter);
      const hit = cache.peek(k);
      if (hit !== undefined) return hit;
      const inner = unshareFilter(filter);
      const allowed =
        inner !== null && isValidFilter(inner) && decide("subscribe", identity, inner.split("/"));
      cache.set(k, allowed);
      return allowed;
    },
    apiAccess(identity) {
      let best: ApiAccess | null = null;
      for (const role of identity.roles) {
        const api = roles[role]?.api;
        if (api === "admin") return "admin";
        if (api === "read") best = "read";
      }
      return best;
    },
    users() {
      return users
        .map((u) => ({ username: u.username, roles: [...u.roles] }))
        .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
    },
  };
}

/**
 * Add or replace a user in `<dir>/users.yaml`, keeping the other users and the comments.
 * Roles must be defined in `<dir>/access.yaml` when that file exists. With `replace: false` an
 * existing user is refused (`UNS_ERR_ACCESS_USER_EXISTS`).
 *
 * @example
 * await addUser("topics", "alice", "s3cret", ["admin"]);
 */
export async function addUser(
  dir: string,
  username: string,
  password: string,
  roles: string[],
  options: { replace?: boolean } = {},
): Promise<void> {
  if (!USERNAME.test(username)) {
    throw createError(
      "UNS_ERR_ACCESS_BAD_USERNAME",
      `username "${username}" is not allowed; use 1-128 letters, digits, '.', '_', '-' or '@'`,
      { statusCode: 400 },
    );
  }
  if (!Array.isArray(roles) || roles.length === 0) {
    throw createError("UNS_ERR_ACCESS_UNKNOWN_ROLE", "a user needs at least one role", { statusCode: 400 });
  }
  const accessFile = join(dir, "access.yaml");
  if (existsSync(accessFile)) {
    const src = parseYamlSource(readText(accessFile), accessFile, "UNS_ERR_ACCESS_INVALID");
    const defined = src.diagnostics.some((d) => d.severity === "error") ? undefined : src.doc.toJS()?.roles;
    if (isPlainObject(defined)) {
      const unknown = roles.filter((r) => !(r in defined));
      if (unknown.length) {
        throw createError(
          "UNS_ERR_ACCESS_UNKNOWN_ROLE",
          `role ${unknown.map((r) => `"${r}"`).join(", ")} not defined in ${accessFile}; defined: ${Object.keys(defined).join(", ")}`,
          { statusCode: 400 },
        );
      }
    }
  }
  const hash = await hashPassword(password);

  const usersFile = join(dir, "users.yaml");
  const src = parseYamlSource(
    existsSync(usersFile) ? readText(usersFile) : "",
    usersFile,
    "UNS_ERR_ACCESS_INVALID",
  );
  const errors = src.diagnostics.filter((d) => d.severity === "error");
  if (errors.length) {
    throw createError("UNS_ERR_ACCESS_INVALID", summarizeDiagnostics(`cannot update ${usersFile}:`, errors), {
      details: { diagnostics: errors },
    });
  }
  const doc = src.doc as unknown as Document;
  if (doc.contents === null) doc.contents = doc.createNode({ users: {} });
  if (!isMap(doc.contents)) {
    throw createError("UNS_ERR_ACCESS_INVALID", `${usersFile}: must be a map with the single key users`);
  }
  const usersNode = doc.get("users", true);
  if (usersNode === undefined || usersNode === null || (isScalar(usersNode) && usersNode.value === null)) {
    doc.set("users", doc.createNode({}));
  } else if (!isMap(usersNode)) {
    throw createError(
      "UNS_ERR_ACCESS_INVALID",
      `${usersFile}: users must be a map of username -> { roles, password }`,
    );
  }
  if (options.replace === false && doc.hasIn(["users", username])) {
    throw createError("UNS_ERR_ACCESS_USER_EXISTS", `user "${username}" already exists in ${usersFile}`, {
      statusCode: 409,
    });
  }
  const entry = doc.createNode({ roles: [...roles], password: hash });
  entry.flow = true; // one line per user, as in docs/design.md
  doc.setIn(["users", username], entry);

  // Write then rename, so a crash never leaves a half-written users file; 0600 as it holds hashes.
  const tmp = `${usersFile}.${process.pid}.tmp`;
  writeFileSync(tmp, doc.toString({ lineWidth: 0 }), { mode: 0o600 });
  renameSync(tmp, usersFile);
}
