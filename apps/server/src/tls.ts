import { readFileSync, unwatchFile, watchFile } from "node:fs";
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from "node:tls";
import type { Config } from "./config.js";
import { createError } from "./errors.js";

export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  ca?: Buffer;
  /** Ask for a client certificate (when a CA is given) but let password logins through too. */
  requestCert: boolean;
  rejectUnauthorized: false;
}

/** The certificate, key and client CA from the config files; null when TLS is off. */
export function loadTlsMaterial(config: Readonly<Config>): TlsMaterial | null {
  const { certFile, keyFile, caFile } = config.tls;
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile) {
    throw createError("UNS_ERR_TLS", "tls.certFile and tls.keyFile must be given together");
  }
  const read = (what: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (cause) {
      throw createError("UNS_ERR_TLS", `cannot read ${what} ${file}: ${(cause as Error).message}`, { cause });
    }
  };
  return {
    key: read("tls.keyFile", keyFile),
    cert: read("tls.certFile", certFile),
    ...(caFile ? { ca: read("tls.caFile", caFile) } : {}),
    requestCert: Boolean(caFile),
    rejectUnauthorized: false,
  };
}

/**
 * Reload the certificate when its files change (a renewed certificate needs no restart): every
 * new connection gets it, open ones keep theirs. A broken pair is logged and the old one kept.
 */
export function watchTlsMaterial(
  config: Readonly<Config>,
  servers: () => TlsServer[],
  logger: { info(o: object, m: string): void; error(o: object, m: string): void },
  intervalMs = 2000,
): () => void {
  const files = [config.tls.certFile, config.tls.keyFile, config.tls.caFile].filter(Boolean);
  const reload = () => {
    try {
      const m = loadTlsMaterial(config);
      if (!m) return;
      for (const s of servers())
        s.setSecureContext({ key: m.key, cert: m.cert, ...(m.ca ? { ca: m.ca } : {}) });
      logger.info({ certFile: config.tls.certFile }, "TLS certificate reloaded");
    } catch (err) {
      logger.error({ err: (err as Error).message }, "TLS certificate not reloaded; keeping the previous one");
    }
  };
  for (const f of files) watchFile(f, { interval: intervalMs }, reload);
  return () => {
    for (const f of files) unwatchFile(f, reload);
  };
}

/** MQTT over TLS, handing each connection to the broker. */
export function createMqttTlsServer(material: TlsMaterial, handle: (socket: TLSSocket) => void): TlsServer {
  return createTlsServer(material, handle);
}

/**
 * The user a client certificate names (its subject CN), when the certificate was verified
 * against tls.caFile; null otherwise.
 */
export function certificateUser(client: { conn?: unknown }): string | null {
  const socket = client.conn as Partial<TLSSocket> | undefined;
  if (!socket || typeof socket.getPeerCertificate !== "function" || !socket.authorized) return null;
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === "string" && cn.length > 0 ? cn : null;
}
