#!/usr/bin/env node
import { formatSummary, parseCliArgs, USAGE, UsageError } from "./cli.js";
import { runSimulation } from "./run-simulation.js";

// The command: parse, run until done or Ctrl-C, print the summary. Exit codes: 0 done,
// 1 failed (cannot connect, bad config), 2 usage error.
async function main(): Promise<number> {
  let command: ReturnType<typeof parseCliArgs>;
  try {
    command = parseCliArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\nRun with --help for the options.\n`);
      return 2;
    }
    throw error;
  }
  if (command.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const stop = new AbortController();
  // First Ctrl-C: stop publishing and wait for acknowledgements; second: leave at once.
  process.on("SIGINT", () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  });
  process.on("SIGTERM", () => stop.abort());
  try {
    const summary = await runSimulation({
      ...command.options,
      signal: stop.signal,
      progressIntervalMs: command.progressSeconds * 1000,
      onProgress:
        command.progressSeconds > 0
          ? (s) =>
              process.stderr.write(
                `simulator: ${s.sent} sent, ${s.completed} ${s.qos > 0 ? "acknowledged" : "written"}, ${s.inFlight} in flight, ${s.rate}/s\n`,
              )
          : undefined,
    });
    process.stdout.write(
      command.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`simulator: ${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main();
