#!/usr/bin/env node
/**
 * `pnpm processors`: starts the weld quality and check gate processors against a UNS server.
 *   node apps/processors/dist/main.js [--config file]      run
 *   node apps/processors/dist/main.js docs                  regenerate apps/processors/docs/reference.md
 *   node apps/processors/dist/main.js config                print the settings
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig, settingsMarkdown } from "./config.js";
import { renderReferenceDoc } from "./docs.js";
import { startControlServer } from "./runtime/control-server.js";
import { createProcessorsRuntime } from "./runtime/runtime.js";

const { values, positionals } = parseArgs({
  options: { config: { type: "string" } },
  allowPositionals: true,
});
const command = positionals[0] ?? "run";
if (command === "docs") {
  const out = fileURLToPath(new URL("../docs/reference.md", import.meta.url));
  writeFileSync(out, renderReferenceDoc());
  console.log(`wrote ${out}`);
} else if (command === "config") {
  console.log(settingsMarkdown());
} else {
  try {
    const config = loadConfig({ file: values.config });
    const runtime = await createProcessorsRuntime(config);
    await runtime.start();
    const control = config["http.enabled"]
      ? await startControlServer(runtime, { host: config["http.host"], port: config["http.port"] })
      : null;
    console.log(
      `processors: running against ${config["mqtt.url"]} as ${config["mqtt.username"]}${control ? `; control on http://${config["http.host"]}:${control.port}` : ""}`,
    );
    const timer = setInterval(() => {
      const s = runtime.weldQuality?.status();
      if (s && s.received > 0)
        console.log(
          `processors: weld-quality ${s.published}/${s.received} published, ${s.invalid} invalid, ${s.ratePerSecond}/s, lag p99 ${s.lagMs.p99} ms`,
        );
    }, 10_000);
    let stopping = false;
    const stop = async () => {
      // A second signal does not wait for the drain.
      if (stopping) process.exit(1);
      stopping = true;
      clearInterval(timer);
      await control?.close();
      await runtime.stop();
      process.exit(0);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  } catch (err) {
    const e = err as Error & { code?: string };
    console.error(`processors: ${e.code ? `${e.code} ` : ""}${e.message}`);
    process.exit(1);
  }
}
