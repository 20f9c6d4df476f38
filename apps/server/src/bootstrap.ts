import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addUser, loadAccess } from "@uns/contracts";
import type { Config } from "./config.js";

/**
 * First start on a new machine: with anonymous access off and no admin, nobody could manage it.
 * Create an `admin` user with a random password and keep it in <dataDir>/initial-admin-password
 * (readable by the owner only), like Grafana or Jenkins do. The caller shows it once on the
 * terminal; it never goes into the log.
 */
export async function ensureFirstUser(
  config: Readonly<Config>,
): Promise<{ password: string; file: string } | null> {
  if (config.mqtt.allowAnonymous) return null;
  const access = loadAccess(config.topicsDir);
  if (access.users().some((u) => u.roles.includes("admin"))) return null;
  const password = randomBytes(15).toString("base64url");
  await addUser(config.topicsDir, "admin", password, ["admin"]);
  mkdirSync(config.dataDir, { recursive: true });
  const file = join(config.dataDir, "initial-admin-password");
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return { password, file };
}
