import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadContractsIsolated } from "./isolated-loader.js";
import { loadContracts } from "./load-contracts.js";

const doc = (payload: string, extra = "") => `asyncapi: 3.0.0
info: { title: t, version: 1.0.0 }
channels:
  c:
    address: a/b
    messages:
      m:
        payload: ${payload}
${extra}`;

/** A 9^depth alias bomb in a few hundred bytes. */
export const aliasBomb = (depth = 9) => {
  const names = "abcdefghijk".slice(0, depth).split("");
  const lines = [`x-${names[0]}: &${names[0]} ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`];
  for (let i = 1; i < names.length; i++) {
    const p = names[i - 1];
    lines.push(`x-${names[i]}: &${names[i]} [*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p}]`);
  }
  return `asyncapi: 3.0.0\ninfo: { title: bomb, version: 1.0.0 }\n${lines.join("\n")}\nchannels: {}\n`;
};

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));
function folder(files: Record<string, string>): string {
  dir = mkdtempSync(join(tmpdir(), "uns-hostile-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
const errors = (r: Awaited<ReturnType<typeof loadContracts>>) =>
  r.diagnostics.filter((d) => d.severity === "error");

describe("contracts that would hang or exhaust the broker fail fast, naming file and path", () => {
  it("refuses a $ref cycle that never reaches a schema (A -> B -> A), where the parser loops for ever", async () => {
    const d = folder({
      "cyc.yaml": doc(
        '{ $ref: "#/components/schemas/A" }',
        'components:\n  schemas:\n    A: { $ref: "#/components/schemas/B" }\n    B: { $ref: "#/components/schemas/A" }\n',
      ),
    });
    const started = performance.now();
    const r = await loadContractsIsolated(d, { timeoutMs: 15_000 });
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(errors(r)).toContainEqual(
      expect.objectContaining({
        file: join(d, "cyc.yaml"),
        code: "UNS_ERR_CONTRACT_REF_CYCLE",
        path: "$.channels.c.messages.m.payload.$ref",
        line: 8,
        message: expect.stringContaining(
          "#/components/schemas/A -> #/components/schemas/B -> #/components/schemas/A",
        ),
      }),
    );
    expect(r.set.channels).toEqual([]);
  }, 30_000);

  it("refuses a cycle across files", async () => {
    const d = folder({
      "main.yaml": doc(
        '{ $ref: "shared/s.yaml#/X" }',
        'components:\n  schemas:\n    Y: { $ref: "shared/s.yaml#/X" }\n',
      ),
      "shared/s.yaml": 'X: { $ref: "../main.yaml#/components/schemas/Y" }\n',
    });
    const r = await loadContracts(d);
    expect(errors(r).map((e) => e.code)).toContain("UNS_ERR_CONTRACT_REF_CYCLE");
  });

  it("still loads a recursive schema (recursion inside properties is not a chain)", async () => {
    const d = folder({
      "tree.yaml": doc(
        '{ $ref: "#/components/schemas/Node" }',
        'components:\n  schemas:\n    Node:\n      type: object\n      properties:\n        child: { $ref: "#/components/schemas/Node" }\n',
      ),
    });
    const r = await loadContracts(d);
    expect(errors(r)).toEqual([]);
    expect(r.set.channels[0]!.messages[0]!.payload).toMatchObject({ $ref: "#/$defs/Node" });
  });

  it("stops a 400-byte alias bomb at contracts.maxAliases, in the loader thread, quickly", async () => {
    const text = aliasBomb();
    expect(text.length).toBeLessThan(600);
    const d = folder({ "bomb.yaml": text });
    const started = performance.now();
    const r = await loadContractsIsolated(d, { timeoutMs: 15_000 });
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(errors(r)).toEqual([
      expect.objectContaining({ file: join(d, "bomb.yaml"), code: "UNS_ERR_CONTRACT_LIMIT" }),
    ]);
    expect(r.documents[0]).toMatchObject({ ok: false });
  }, 30_000);

  it("refuses a file larger than contracts.maxFileBytes without parsing it", async () => {
    const d = folder({ "big.yaml": doc("{ type: object }", `x-pad: "${"x".repeat(5000)}"\n`) });
    const r = await loadContracts(d, { maxFileBytes: 4096 });
    expect(errors(r)).toEqual([expect.objectContaining({ code: "UNS_ERR_CONTRACT_TOO_LARGE" })]);
  });

  it("refuses a reference chain longer than contracts.maxRefDepth", async () => {
    const schemas = Array.from({ length: 6 }, (_, i) =>
      i < 5 ? `    S${i}: { $ref: "#/components/schemas/S${i + 1}" }` : `    S${i}: { type: object }`,
    ).join("\n");
    const d = folder({
      "chain.yaml": doc('{ $ref: "#/components/schemas/S0" }', `components:\n  schemas:\n${schemas}\n`),
    });
    expect(errors(await loadContracts(d, { maxRefDepth: 3 })).map((e) => e.code)).toContain(
      "UNS_ERR_CONTRACT_REF_DEPTH",
    );
    expect(errors(await loadContracts(d))).toEqual([]);
  });

  it("stops a load that takes longer than the timeout, naming the file it was on", async () => {
    const channels = Array.from(
      { length: 400 },
      (_, i) =>
        `  c${i}:\n    address: a/${i}\n    messages:\n      m${i}:\n        payload: { type: object, properties: { a: { type: number }, b: { type: string } } }`,
    );
    const d = folder({
      "slow.yaml": `asyncapi: 3.0.0\ninfo: { title: slow, version: 1.0.0 }\nchannels:\n${channels.join("\n")}\n`,
    });
    await expect(loadContractsIsolated(d, { timeoutMs: 150 })).rejects.toMatchObject({
      code: "UNS_ERR_CONTRACT_TIMEOUT",
      message: expect.stringContaining(join(d, "slow.yaml")),
    });
  }, 60_000);
});

describe("references resolve inside the contracts folder only", () => {
  let server: Server;
  let requests = 0;
  let host: string;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests++;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ type: "object", required: ["id"] }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("refuses ../../../etc/passwd and absolute paths outside the folder", async () => {
    const d = folder({
      "a.yaml": doc('{ $ref: "../../../../../../etc/passwd" }'),
      "b.yaml": doc('{ $ref: "/etc/hostname" }').replace("  c:", "  d:"),
      "c.yaml": doc('{ $ref: "file:///etc/hostname" }').replace("  c:", "  e:"),
    });
    const r = await loadContracts(d);
    const refused = errors(r).filter((e) => e.code === "UNS_ERR_CONTRACT_REF_OUTSIDE");
    expect(refused.map((e) => e.file).sort()).toEqual(["a.yaml", "b.yaml", "c.yaml"].map((f) => join(d, f)));
    expect(refused[0]).toMatchObject({ path: "$.channels.c.messages.m.payload.$ref", line: 8 });
    expect(r.set.channels).toEqual([]);
  });

  it("refuses a symlink that leads outside the folder", async () => {
    const d = folder({ "a.yaml": doc('{ $ref: "shared/link.json" }') });
    mkdirSync(join(d, "shared"));
    symlinkSync("/etc/hostname", join(d, "shared", "link.json"));
    expect(errors(await loadContracts(d)).map((e) => e.code)).toEqual(["UNS_ERR_CONTRACT_REF_OUTSIDE"]);
  });

  it("does not fetch http(s) references unless the host is allowed", async () => {
    const d = folder({ "a.yaml": doc(`{ $ref: "http://${host}/schema.json" }`) });
    requests = 0;
    const r = await loadContracts(d);
    expect(requests).toBe(0);
    expect(errors(r)).toEqual([
      expect.objectContaining({
        code: "UNS_ERR_CONTRACT_REF_OUTSIDE",
        message: expect.stringContaining(host),
      }),
    ]);

    const allowed = await loadContracts(d, { allowedRefHosts: [host] });
    expect(errors(allowed)).toEqual([]);
    expect(requests).toBeGreaterThan(0);
    expect(allowed.set.channels[0]!.messages[0]!.payload).toMatchObject({ required: ["id"] });
  });

  it("still resolves references to files in sub-folders", async () => {
    const d = folder({
      "a.yaml": doc('{ $ref: "shared/s.yaml#/Thing" }'),
      "shared/s.yaml": "Thing: { type: object, required: [x] }\n",
    });
    const r = await loadContracts(d);
    expect(errors(r)).toEqual([]);
    expect(r.set.channels[0]!.messages[0]!.payload).toMatchObject({ required: ["x"] });
  });
});
