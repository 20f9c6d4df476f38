import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * A worker thread running `entry` in the form it is in: JavaScript as it is (production, dist/),
 * TypeScript through tsx with the packages' "source" export condition (tests load src/, so the
 * worker runs the same code as the test, with no build in between).
 *
 * @example
 * const self = import.meta.url;
 * startWorker(new URL(`./store-worker.${self.endsWith(".ts") ? "ts" : "js"}`, self));
 */
export function startWorker(entry: URL, options: Omit<WorkerOptions, "eval" | "execArgv"> = {}): Worker {
  // A clean execArgv: the worker must not inherit the parent's loaders or flags.
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, { ...options, execArgv: [] });
  // tsx is a dev dependency: resolved only when running from TypeScript.
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { ...options, eval: true, execArgv: ["--conditions=source"] });
}

/** `./<name>.ts` beside a module loaded from TypeScript, `./<name>.js` beside compiled JavaScript. */
export function besideModule(moduleUrl: string, name: string): URL {
  return new URL(`./${name}.${moduleUrl.endsWith(".ts") ? "ts" : "js"}`, moduleUrl);
}
