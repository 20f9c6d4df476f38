/**
 * Contract files that once stopped the broker (issue 9): a `$ref` cycle the AsyncAPI parser
 * never finishes, a YAML alias bomb, and a 5 MB document with 1,000 channels. Used by the
 * reload latency script (reload-latency.ts) and the server's hostile tests.
 */

/** `A: {$ref: B}`, `B: {$ref: A}`: the parser loops for ever on it. */
export function cyclicContract(): string {
  return `asyncapi: 3.0.0
info: { title: cyclic, version: 1.0.0 }
channels:
  cyclic:
    address: acme/cyclic
    messages:
      m:
        payload: { $ref: "#/components/schemas/A" }
components:
  schemas:
    A: { $ref: "#/components/schemas/B" }
    B: { $ref: "#/components/schemas/A" }
`;
}

/** About 430 bytes that expand to 9^9 (387 million) strings. */
export function aliasBomb(): string {
  const names = "abcdefghi".split("");
  const lines = [`x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`];
  for (let i = 1; i < names.length; i++) {
    const p = names[i - 1];
    lines.push(`x-${names[i]}: &${names[i]} [*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p}]`);
  }
  return `asyncapi: 3.0.0\ninfo: { title: bomb, version: 1.0.0 }\n${lines.join("\n")}\nchannels: {}\n`;
}

/** A valid document of `channels` channels, each with a payload of `properties` described fields. */
export function hugeContract(channels = 1000, properties = 29): string {
  const out: string[] = ["asyncapi: 3.0.0", "info: { title: huge, version: 1.0.0 }", "channels:"];
  for (let c = 0; c < channels; c++) {
    out.push(`  huge${c}:`, `    address: acme/huge/${c}/{device}`, "    parameters:", "      device: {}");
    out.push(
      "    messages:",
      `      m${c}:`,
      "        payload:",
      "          type: object",
      "          properties:",
    );
    for (let p = 0; p < properties; p++) {
      out.push(
        `            field${p}:`,
        "              type: number",
        `              description: "Field ${p} of channel ${c}: a measured value in its engineering unit, sampled once per cycle."`,
      );
    }
  }
  return `${out.join("\n")}\n`;
}
