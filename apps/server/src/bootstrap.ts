import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addUser, loadAccess } from "@uns/contracts";
import type { Config } from "./config.js";

/**
 * First start on a new machine: with anonymous access off and no admin, nobody could manage it.
 * Create an `admin` user with a random password, print it once and keep it in
 * <dataDir>/initial-admin-password (readable by the owner only), like Grafana or Jenkins do.
 */
export async function ensureFirstUser(
  config: Readonly<Config>,
  logger: { warn(obj: object, msg: string): void },
): Promise<void> {
  if (config.mqtt.allowAnonymous) return;
  const access = loadAccess(config.topicsDir);
  if (access.users().some((u) => u.roles.includes("admin"))) return;
  const password = randomBytes(12).toString("base64url");
  await addUser(config.topicsDir, "admin", password, ["admin"]);
  mkdirSync(config.dataDir, { recursive: true });
  const file = join(config.dataDir, "initial-admin-password");
  if (!existsSync(file)) writeFileSync(file, `${password}\n`, { mode: 0o600 });
  logger.warn(
    { username: "admin", passwordFile: file },
    `no admin yet: created user "admin" with password ${password} (also in ${file}); add users with \`pnpm uns user add <name> --role <role>\``,
  );
}
