#!/usr/bin/env node
/**
 * `pnpm uns <command>`: the operator's tool.
 *   uns user add <name> --role <role>[,<role>] [--password <pw>]   (password generated when omitted)
 *   uns user list
 *   uns check            tree and contracts agree; every example validates
 *   uns config           every setting, its environment variable and default
 *   uns docs             regenerate docs/errors.md and docs/configuration.md
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { addUser, checkConsistency, loadAccess, loadContractsIsolated, loadTopicTree } from "@uns/contracts";
import { contractLoadLimits, loadConfig, settingsMarkdown } from "./config.js";
import { renderConfigDoc, renderErrorsDoc } from "./docs.js";

const usage = `usage: pnpm uns <command>
  user add <name> --role <role>[,<role>...] [--password <pw>]
  user list
  check
  config
  docs
  help`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { role: { type: "string" }, password: { type: "string" }, config: { type: "string" } },
    allowPositionals: true,
  });
  const [cmd, sub, name] = positionals;
  if (cmd === "docs") {
    const root = new URL("../../../docs/", import.meta.url);
    writeFileSync(new URL("errors.md", root), renderErrorsDoc());
    writeFileSync(new URL("configuration.md", root), renderConfigDoc());
    console.log("docs/errors.md and docs/configuration.md written");
    return 0;
  }
  if (cmd === "config") {
    console.log(settingsMarkdown());
    return 0;
  }
  const config = loadConfig({ file: values.config });
  if (cmd === "user" && sub === "add" && name) {
    const roles = (values.role ?? "")
      .split(",")
      .map((r) => r.trim())
      .filter(Boolean);
    const access = loadAccess(config.topicsDir);
    const known = access.roles();
    const unknown = roles.filter((r) => !known.includes(r));
    if (roles.length === 0 || unknown.length > 0) {
      console.error(
        `UNS_ERR_CLI_USAGE: --role must name roles from topics/access.yaml (${known.join(", ")})${unknown.length ? `; unknown: ${unknown.join(", ")}` : ""}`,
      );
      return 2;
    }
    const password = values.password ?? randomBytes(12).toString("base64url");
    await addUser(config.topicsDir, name, password, roles);
    console.log(
      `user ${name} (roles ${roles.join(", ")}) saved in ${config.topicsDir}/users.yaml${values.password ? "" : `; password: ${password}`}`,
    );
    return 0;
  }
  if (cmd === "user" && sub === "list") {
    for (const u of loadAccess(config.topicsDir).users()) console.log(`${u.username}\t${u.roles.join(",")}`);
    return 0;
  }
  if (cmd === "check") {
    const tree = loadTopicTree(config.topicsDir);
    // The same bounded loader thread and limits as the server: a hostile file fails the check, not hangs it.
    const loaded = await loadContractsIsolated(config.contractsDir, contractLoadLimits(config));
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
    return errors > 0 ? 1 : 0;
  }
  console.error(
    cmd === "help" || !cmd ? usage : `UNS_ERR_CLI_USAGE: unknown command ${positionals.join(" ")}\n${usage}`,
  );
  return cmd === "help" ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error & { code?: string }) => {
    console.error(`${err.code ?? "error"}: ${err.message}`);
    process.exit(1);
  },
);
