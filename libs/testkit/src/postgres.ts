import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { appendFile, chown, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./free-port.js";

const run = promisify(execFile);

/** A throwaway PostgreSQL cluster on a loopback port; see {@link startPostgres}. */
export interface PostgresServer {
  /** Connection URL for the `postgres` superuser and database (trust auth, no password). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The cluster's data directory (PGDATA). */
  readonly dataDir: string;
  /** Directory holding the cluster, its unix socket and its log file. */
  readonly rootDir: string;
  /** Fast shutdown (`pg_ctl stop -m fast`): clients are disconnected, data is kept. */
  stop(): Promise<void>;
  /** Start again on the same port with the same data. */
  start(): Promise<void>;
  /** Crash the server: SIGKILL to the postmaster and its children. `start()` then runs crash recovery. */
  kill(): Promise<void>;
  /** Stop the server if it runs and remove every file of the cluster. */
  destroy(): Promise<void>;
  /** A new, empty database on this server. */
  createDatabase(name?: string): Promise<TestDatabase>;
}

export interface StartPostgresOptions {
  /** Directory with initdb, pg_ctl and postgres. Default: the newest /usr/lib/postgresql/<n>/bin, else PATH. */
  binDir?: string;
  /** Keep fsync on (default off: a throwaway cluster need not survive an OS crash, only a process crash). */
  fsync?: boolean;
  /** Extra `name = value` lines for postgresql.conf. */
  settings?: Record<string, string | number>;
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Drop the database, disconnecting its clients. */
  drop(): Promise<void>;
}

const runUser = "postgres";

/**
 * Start a throwaway PostgreSQL cluster: `initdb -A trust` into a temp directory, then
 * `pg_ctl start -w` on a free loopback port with the unix socket inside the temp directory.
 * When running as root (initdb refuses root), the cluster is owned and run by the `postgres` user.
 *
 * @example
 * const server = await startPostgres();
 * try { await use(server.url); } finally { await server.destroy(); }
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = options.binDir ?? (await findBinDir());
  const bin = (name: string) => (binDir ? join(binDir, name) : name);
  const asRoot = process.getuid?.() === 0;
  const rootDir = await mkdtemp(join(tmpdir(), "uns-pg-"));
  const dataDir = join(rootDir, "data");
  const logFile = join(rootDir, "postgres.log");

  const exec = async (file: string, args: string[]): Promise<string> => {
    const [cmd, argv] = asRoot ? ["runuser", ["-u", runUser, "--", file, ...args]] : [file, args];
    try {
      const { stdout } = await run(cmd, argv, { cwd: rootDir, maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch (err) {
      const e = err as Error & { stderr?: string; stdout?: string };
      const log = await readFile(logFile, "utf8").catch(() => "");
      throw new Error(
        `testkit: ${file} ${args.join(" ")} failed: ${e.stderr || e.message}` +
          (log ? `\n--- postgres.log (tail) ---\n${log.slice(-4000)}` : ""),
        { cause: err },
      );
    }
  };

  let running = false;
  let port = 0;
  try {
    if (asRoot) {
      const { uid, gid } = await lookupUser(runUser);
      await chown(rootDir, uid, gid);
    }
    await exec(bin("initdb"), [
      "-D",
      dataDir,
      "-A",
      "trust",
      "-U",
      "postgres",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
      "--no-instructions",
    ]);
    const settings: Record<string, string | number> = {
      listen_addresses: "'127.0.0.1'",
      unix_socket_directories: `'${rootDir}'`,
      max_connections: 60,
      shared_buffers: "'32MB'",
      fsync: options.fsync ? "on" : "off",
      // synchronous_commit stays on: with fsync off a commit still write()s its WAL, so committed
      // data survives kill() (a process crash), which is what tests of crash recovery rely on.
      full_page_writes: options.fsync ? "on" : "off",
      ...options.settings,
    };
    await appendFile(
      join(dataDir, "postgresql.conf"),
      `\n# written by @uns/testkit\n${Object.entries(settings)
        .map(([k, v]) => `${k} = ${v}`)
        .join("\n")}\n`,
    );

    const pgStart = () => exec(bin("pg_ctl"), ["start", "-w", "-t", "60", "-D", dataDir, "-l", logFile]);
    // The port is written to postgresql.auto.conf so that start() after stop() reuses it.
    // Retry on a new port if another process took the free port in the meantime.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      await writeAutoConf(dataDir, port);
      try {
        await pgStart();
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
    running = true;

    const host = "127.0.0.1";
    const url = `postgresql://postgres@${host}:${port}/postgres`;
    const server: PostgresServer = {
      url,
      host,
      port,
      dataDir,
      rootDir,
      async stop() {
        await exec(bin("pg_ctl"), ["stop", "-w", "-t", "60", "-m", "fast", "-D", dataDir]);
        running = false;
      },
      async start() {
        await pgStart();
        running = true;
      },
      async kill() {
        await killCluster(dataDir);
        running = false;
      },
      async destroy() {
        if (running) {
          await exec(bin("pg_ctl"), ["stop", "-w", "-t", "60", "-m", "immediate", "-D", dataDir]).catch(() =>
            killCluster(dataDir),
          );
          running = false;
        }
        await rm(rootDir, { recursive: true, force: true });
      },
      createDatabase: (name) => createDatabase(url, name),
    };
    return server;
  } catch (err) {
    if (running) {
      await exec(bin("pg_ctl"), ["stop", "-m", "immediate", "-D", dataDir]).catch(() => undefined);
    }
    await rm(rootDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Create a new, empty database on the server at `adminUrl` (a superuser or CREATEDB role) and
 * return its URL. Use it to isolate tests that share one server, including an external one.
 *
 * @example
 * const db = await createDatabase(process.env.UNS_TEST_DATABASE_URL!);
 */
export async function createDatabase(adminUrl: string, name?: string): Promise<TestDatabase> {
  const dbName = name ?? `uns_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  if (!/^[a-z_][a-z0-9_]*$/.test(dbName)) {
    throw new Error(`testkit: database name "${dbName}" must match ^[a-z_][a-z0-9_]*$`);
  }
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${dbName}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  return {
    name: dbName,
    url: url.toString(),
    async drop() {
      await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    },
  };
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function writeAutoConf(dataDir: string, port: number): Promise<void> {
  // postgresql.auto.conf exists after initdb and is owned by the cluster's user; appending keeps that.
  await appendFile(join(dataDir, "postgresql.auto.conf"), `port = ${port}\n`);
}

async function findBinDir(): Promise<string | undefined> {
  const base = "/usr/lib/postgresql";
  const versions = await readdir(base).catch(() => [] as string[]);
  const sorted = versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of sorted) {
    const dir = join(base, v, "bin");
    if (existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) return dir;
  }
  return undefined; // rely on PATH
}

async function lookupUser(name: string): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile("/etc/passwd", "utf8");
  for (const line of passwd.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid && gid) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(`testkit: running as root needs a "${name}" user to own the cluster (initdb refuses root)`);
}

/** SIGKILL the postmaster and its children (found through /proc), then wait until they are gone. */
async function killCluster(dataDir: string): Promise<void> {
  const pidFile = await readFile(join(dataDir, "postmaster.pid"), "utf8").catch(() => "");
  const pid = Number(pidFile.split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const pids = [pid, ...(await childrenOf(pid))];
  for (const p of pids) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 200 && pids.some(isAlive); i++) await sleep(25);
  // A killed postmaster can stay a zombie until PID 1 reaps it, and a zombie still answers
  // kill(pid, 0): the next start would take the stale lock file for a live server.
  // The same holds for the unix socket's lock file (the socket lives in the cluster's root dir).
  await rm(join(dataDir, "postmaster.pid"), { force: true });
  const socketDir = dirname(dataDir);
  for (const name of await readdir(socketDir)) {
    if (name.startsWith(".s.PGSQL.")) await rm(join(socketDir, name), { force: true });
  }
}

async function childrenOf(ppid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // Fields after the parenthesised command name: state, ppid, ...
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(rest[1]) === ppid) out.push(Number(entry));
  }
  return out;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A killed child may linger as a zombie until its parent reaps it; treat zombies as gone.
    return !isZombie(pid);
  } catch {
    return false;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}
