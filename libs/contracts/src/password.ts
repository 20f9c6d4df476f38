import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";
import { createError } from "./errors.js";

/**
 * Password hashes are `scrypt$N$r$p$<salt base64>$<hash base64>` (node:crypto scrypt, RFC 7914).
 * N=16384, r=8, p=1 follows the RFC 7914 section 2 interactive-login guidance and needs 16 MiB.
 */
const DEFAULT_N = 16_384;
const DEFAULT_R = 8;
const DEFAULT_P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuse hashes whose parameters would let a crafted users.yaml exhaust memory or CPU. */
const MAX_N = 1 << 20;
const MAX_RP = 64;

function scryptAsync(
  password: string,
  salt: Buffer,
  keylen: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function scryptOptions(N: number, r: number, p: number): ScryptOptions {
  // scrypt needs about 128 * N * r bytes; the default maxmem (32 MiB) would reject larger N.
  return { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
}

/**
 * Hash a password for users.yaml.
 *
 * @example
 * const hash = await hashPassword("s3cret"); // "scrypt$16384$8$1$...$..."
 */
export async function hashPassword(password: string): Promise<string> {
  if (typeof password !== "string" || password.length === 0) {
    throw createError("UNS_ERR_ACCESS_BAD_PASSWORD", "the password must be a non-empty string");
  }
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptAsync(password, salt, KEY_BYTES, scryptOptions(DEFAULT_N, DEFAULT_R, DEFAULT_P));
  return `scrypt$${DEFAULT_N}$${DEFAULT_R}$${DEFAULT_P}$${salt.toString("base64")}$${key.toString("base64")}`;
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

/** Parse a stored hash; undefined when it is not in the expected format or has unsafe parameters. */
export function parsePasswordHash(hash: string): ParsedHash | undefined {
  const parts = hash.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return undefined;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^[0-9]+$/.test(s!) ? Number(s) : Number.NaN)) as [
    number,
    number,
    number,
  ];
  // scrypt requires N to be a power of two greater than 1.
  if (!(N > 1 && N <= MAX_N && (N & (N - 1)) === 0)) return undefined;
  if (!(r >= 1 && r <= MAX_RP && p >= 1 && p <= MAX_RP)) return undefined;
  const b64 = /^[A-Za-z0-9+/]+={0,2}$/;
  if (!b64.test(parts[4]!) || !b64.test(parts[5]!)) return undefined;
  const salt = Buffer.from(parts[4]!, "base64");
  const key = Buffer.from(parts[5]!, "base64");
  if (salt.length < 8 || key.length < 16) return undefined;
  return { N, r, p, salt, key };
}

/** Check a password against a stored hash in constant time; false for malformed hashes. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parsed = parsePasswordHash(hash);
  if (!parsed || typeof password !== "string") return false;
  const key = await scryptAsync(
    password,
    parsed.salt,
    parsed.key.length,
    scryptOptions(parsed.N, parsed.r, parsed.p),
  );
  return timingSafeEqual(key, parsed.key);
}
