#!/usr/bin/env node
/**
 * `pnpm uns <command>`: the operator's tool. `pnpm uns --help` lists the commands and
 * `pnpm uns <command> --help` explains one.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import {
  addUser,
  checkConsistency,
  loadAccess,
  loadContractsIsolated,
  loadTopicTree,
  removeUser,
  setUserPassword,
  setUserRoles,
} from "@uns/contracts";
import { Command, CommanderError } from "commander";
import { type Config, contractLoadLimits, loadConfig, settingsMarkdown } from "./config.js";
import { renderConfigDoc, renderErrorsDoc } from "./docs.js";

function usageError(message: string): Error {
  return Object.assign(new Error(message), { code: "UNS_ERR_CLI_USAGE", exitCode: 2 });
}

const program = new Command("uns")
  .description("Operate the UNS server: users, API tokens, contract checks, settings, docs")
  .option("--config <file>", "config file (YAML or JSON), as for the server")
  .showHelpAfterError()
  .exitOverride();

const config = (): Readonly<Config> => loadConfig({ file: program.opts().config });

function parseRoles(list: string | undefined, cfg: Readonly<Config>): string[] {
  const roles = (list ?? "")
    .split(",")
    .map((r) => r.trim())
    .filter(Boolean);
  const known = loadAccess(cfg.topicsDir).roles();
  const unknown = roles.filter((r) => !known.includes(r));
  if (roles.length === 0 || unknown.length > 0) {
    throw usageError(
      `--role must name roles from ${cfg.topicsDir}/access.yaml (${known.join(", ")})${unknown.length ? `; unknown: ${unknown.join(", ")}` : ""}`,
    );
  }
  return roles;
}

function checkLength(password: string, cfg: Readonly<Config>): void {
  if (password.length < cfg.auth.minPasswordLength)
    throw Object.assign(
      new Error(`the password must have at least ${cfg.auth.minPasswordLength} characters`),
      {
        code: "UNS_ERR_USER_PASSWORD_WEAK",
      },
    );
}

const newPassword = () => randomBytes(15).toString("base64url");

const user = program.command("user").description("users of topics/users.yaml (MQTT, console and API logins)");
user
  .command("add <name>")
  .description("add a user; refuses to replace an existing one unless --force")
  .requiredOption("--role <roles>", "comma-separated roles from topics/access.yaml")
  .option("--password <password>", "the password (generated and printed once when left out)")
  .option("--force", "replace the user if it exists")
  .action(async (name: string, o: { role: string; password?: string; force?: boolean }) => {
    const cfg = config();
    const roles = parseRoles(o.role, cfg);
    const password = o.password ?? newPassword();
    checkLength(password, cfg);
    await addUser(cfg.topicsDir, name, password, roles, { replace: o.force === true });
    console.log(
      `user ${name} (roles ${roles.join(", ")}) saved in ${cfg.topicsDir}/users.yaml${o.password ? "" : `; password: ${password}`}`,
    );
  });
user
  .command("list")
  .description("users and their roles")
  .action(() => {
    for (const u of loadAccess(config().topicsDir).users())
      console.log(`${u.username}\t${u.roles.join(",")}`);
  });
user
  .command("passwd <name>")
  .description("set a new password (generated and printed once when --password is left out)")
  .option("--password <password>", "the new password")
  .action(async (name: string, o: { password?: string }) => {
    const cfg = config();
    const password = o.password ?? newPassword();
    checkLength(password, cfg);
    await setUserPassword(cfg.topicsDir, name, password);
    console.log(`password of ${name} changed${o.password ? "" : `: ${password}`}`);
  });
user
  .command("roles <name>")
  .description("replace a user's roles")
  .requiredOption("--role <roles>", "comma-separated roles from topics/access.yaml")
  .action(async (name: string, o: { role: string }) => {
    const cfg = config();
    const roles = parseRoles(o.role, cfg);
    await setUserRoles(cfg.topicsDir, name, roles);
    console.log(`roles of ${name}: ${roles.join(", ")}`);
  });
user
  .command("remove <name>")
  .description("remove a user (the running server drops their sessions when it reloads users.yaml)")
  .action(async (name: string) => {
    await removeUser(config().topicsDir, name);
    console.log(`user ${name} removed`);
  });

/** Token commands talk to the running server (it owns the database). */
async function callServer(
  o: { url?: string; as: string; passwordFile?: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const cfg = config();
  const url = o.url ?? `http://127.0.0.1:${cfg.http.port}`;
  const password = o.passwordFile
    ? readFileSync(o.passwordFile, "utf8").trim()
    : process.stdin.isTTY
      ? ""
      : readFileSync(0, "utf8").trim();
  if (!password) throw usageError("give the password of --as with --password-file <file> or on stdin");
  const res = await fetch(url + path, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${o.as}:${password}`).toString("base64")}`,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } };
  if (!res.ok)
    throw Object.assign(new Error(json.error?.message ?? `HTTP ${res.status}`), { code: json.error?.code });
  return json;
}
const serverOptions = (c: Command) =>
  c
    .requiredOption("--as <admin>", "an admin user to do it as")
    .option("--password-file <file>", "file holding that admin's password (default: read stdin)")
    .option("--url <url>", "the server's HTTP address (default: http://127.0.0.1:<http.port>)");

const token = program.command("token").description("API tokens for scripts (made by the running server)");
serverOptions(
  token
    .command("create <name>")
    .description("make an API token; it is printed once")
    .option("--user <user>", "the user whose roles the token carries (default: --as)")
    .option("--expires-days <days>", "the token stops working after this many days"),
).action(
  async (
    name: string,
    o: { as: string; user?: string; expiresDays?: string; passwordFile?: string; url?: string },
  ) => {
    const r = await callServer(o, "POST", "/api/v1/tokens", {
      name,
      ...(o.user ? { username: o.user } : {}),
      ...(o.expiresDays ? { expiresInDays: Number(o.expiresDays) } : {}),
    });
    console.log(`token ${r.id} (${r.name}, acts as ${r.username}): ${r.token}\nIt is not shown again.`);
  },
);
serverOptions(token.command("revoke <id>").description("revoke an API token")).action(
  async (id: string, o: { as: string; passwordFile?: string; url?: string }) => {
    await callServer(o, "DELETE", `/api/v1/tokens/${encodeURIComponent(id)}`);
    console.log(`token ${id} revoked`);
  },
);

program
  .command("check")
  .description("the topic tree and the contracts agree; every example validates")
  .action(async () => {
    const cfg = config();
    const tree = loadTopicTree(cfg.topicsDir);
    // The same bounded loader thread and limits as the server: a hostile file fails the check, not hangs it.
    const loaded = await loadContractsIsolated(cfg.contractsDir, contractLoadLimits(cfg));
    const findings = [
      ...loaded.diagnostics
        .filter((d) => d.severity === "error")
        .map((d) => ({
          severity: "error",
          code: d.code,
          message: d.message,
          where: `${d.file}${d.line ? `:${d.line}` : ""}`,
        })),
      ...checkConsistency(tree, loaded.set),
    ];
    for (const f of findings) console.log(`${f.severity.padEnd(7)} ${f.code}  ${f.where}: ${f.message}`);
    const errors = findings.filter((f) => f.severity === "error").length;
    console.log(
      `${loaded.set.channels.length} channels in ${loaded.documents.length} documents; ${errors} error(s), ${findings.length - errors} warning(s)`,
    );
    if (errors > 0) process.exitCode = 1;
  });
program
  .command("config")
  .description("every setting, its environment variable and default")
  .action(() => console.log(settingsMarkdown()));
program
  .command("docs")
  .description("regenerate docs/errors.md and docs/configuration.md")
  .action(() => {
    const root = new URL("../../../docs/", import.meta.url);
    writeFileSync(new URL("errors.md", root), renderErrorsDoc());
    writeFileSync(new URL("configuration.md", root), renderConfigDoc());
    console.log("docs/errors.md and docs/configuration.md written");
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; commander already printed the usage problem.
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  const e = err as Error & { code?: string; exitCode?: number };
  console.error(`${e.code ?? "error"}: ${e.message}`);
  process.exit(e.exitCode ?? 1);
}
