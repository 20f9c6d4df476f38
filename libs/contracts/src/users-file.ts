import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Document, isMap } from "yaml";
import { isPlainObject, parseYamlSource, summarizeDiagnostics } from "./diagnostics.js";
import { createError } from "./errors.js";
import { hashPassword } from "./password.js";

/**
 * Change one existing user in `<dir>/users.yaml` (keeping comments and the other users), written
 * atomically with mode 0600. `edit` receives the document and the user's path.
 */
async function editUser(
  dir: string,
  username: string,
  edit: (doc: Document, path: [string, string]) => void | Promise<void>,
): Promise<void> {
  const usersFile = join(dir, "users.yaml");
  const text = existsSync(usersFile) ? readFileSync(usersFile, "utf8") : "";
  const src = parseYamlSource(text, usersFile, "UNS_ERR_ACCESS_INVALID");
  const errors = src.diagnostics.filter((d) => d.severity === "error");
  if (errors.length) {
    throw createError("UNS_ERR_ACCESS_INVALID", summarizeDiagnostics(`cannot update ${usersFile}:`, errors), {
      details: { diagnostics: errors },
    });
  }
  const doc = src.doc as unknown as Document;
  const path: [string, string] = ["users", username];
  if (!isMap(doc.contents) || !doc.hasIn(path)) {
    throw createError("UNS_ERR_ACCESS_NO_USER", `no user "${username}" in ${usersFile}`, { statusCode: 404 });
  }
  await edit(doc, path);
  const tmp = `${usersFile}.${process.pid}.tmp`;
  writeFileSync(tmp, doc.toString({ lineWidth: 0 }), { mode: 0o600 });
  renameSync(tmp, usersFile);
}

function definedRoles(dir: string): string[] | undefined {
  const file = join(dir, "access.yaml");
  if (!existsSync(file)) return undefined;
  const src = parseYamlSource(readFileSync(file, "utf8"), file, "UNS_ERR_ACCESS_INVALID");
  const roles = src.diagnostics.some((d) => d.severity === "error") ? undefined : src.doc.toJS()?.roles;
  return isPlainObject(roles) ? Object.keys(roles) : undefined;
}

/** Remove a user; `UNS_ERR_ACCESS_NO_USER` when there is none. */
export async function removeUser(dir: string, username: string): Promise<void> {
  await editUser(dir, username, (doc, path) => {
    doc.deleteIn(path);
  });
}

/** Replace a user's roles (each must be defined in access.yaml). */
export async function setUserRoles(dir: string, username: string, roles: string[]): Promise<void> {
  if (!Array.isArray(roles) || roles.length === 0) {
    throw createError("UNS_ERR_ACCESS_UNKNOWN_ROLE", "a user needs at least one role", { statusCode: 400 });
  }
  const known = definedRoles(dir);
  const unknown = known ? roles.filter((r) => !known.includes(r)) : [];
  if (unknown.length) {
    throw createError(
      "UNS_ERR_ACCESS_UNKNOWN_ROLE",
      `role ${unknown.map((r) => `"${r}"`).join(", ")} not defined in access.yaml; defined: ${known!.join(", ")}`,
      { statusCode: 400 },
    );
  }
  await editUser(dir, username, (doc, path) => {
    const node = doc.createNode([...roles]);
    node.flow = true;
    doc.setIn([...path, "roles"], node);
  });
}

/** Set a new password (stored as a scrypt hash). */
export async function setUserPassword(dir: string, username: string, password: string): Promise<void> {
  const hash = await hashPassword(password);
  await editUser(dir, username, (doc, path) => {
    doc.setIn([...path, "password"], hash);
  });
}
