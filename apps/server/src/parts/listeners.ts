import type { Server as TlsServer } from "node:tls";
import type { Logger } from "pino";
import type { ApiApp } from "../api/app.js";
import type { createBroker } from "../broker/create-broker.js";
import type { Config } from "../config.js";
import { createError } from "../errors.js";
import { createMqttTlsServer, type TlsMaterial, watchTlsMaterial } from "../tls.js";
import type { ClusterPart } from "./cluster.js";

export interface StartedServer {
  /** Plain MQTT port, null when mqtt.plain is off. */
  mqttPort: number | null;
  /** MQTT over TLS port, null without a certificate. */
  mqttTlsPort: number | null;
  httpPort: number;
}

/** A listen failure names what could not be opened, where (UNS_ERR_LISTEN). */
async function listening<T>(what: string, host: string, port: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    throw createError(
      "UNS_ERR_LISTEN",
      `cannot open ${what} on ${host}:${port}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

/**
 * The sockets: plain MQTT, MQTT over TLS (with the certificate reloaded when its files change)
 * and HTTP (API, console, MQTT over WebSocket). `start` opens them in that order and says where;
 * `stopAccepting` stops the TLS side (the broker and the API close their own).
 */
export function createListeners(o: {
  config: Readonly<Config>;
  logger: Logger;
  tls: TlsMaterial | null;
  broker: Awaited<ReturnType<typeof createBroker>>;
  api: ApiApp;
  cluster: ClusterPart;
}) {
  const { config, logger, tls, broker, api, cluster } = o;
  const mqttTls = tls ? createMqttTlsServer(tls, (socket) => broker.broker.handle(socket as never)) : null;
  const unwatchTls = tls
    ? watchTlsMaterial(config, () => [mqttTls!, api.server as unknown as TlsServer], logger)
    : () => {};
  return {
    async start(): Promise<StartedServer> {
      const mqttPort = config.mqtt.plain
        ? await listening("MQTT", config.mqtt.host, config.mqtt.port, () =>
            broker.listen(config.mqtt.host, config.mqtt.port),
          )
        : null;
      const mqttTlsPort = mqttTls
        ? await listening("MQTT over TLS", config.mqtt.host, config.mqtt.tlsPort, async () => {
            await new Promise<void>((resolve, reject) => {
              mqttTls.once("error", reject);
              mqttTls.listen(config.mqtt.tlsPort, config.mqtt.host, () => resolve());
            });
            const a = mqttTls.address();
            return typeof a === "object" && a ? a.port : config.mqtt.tlsPort;
          })
        : null;
      await listening("HTTP", config.http.host, config.http.port, () =>
        api.listen({ host: config.http.host, port: config.http.port }),
      );
      const addr = api.server.address();
      const httpPort = typeof addr === "object" && addr ? addr.port : config.http.port;
      // With the plain port off (mqtt.plain: false) the node announces its TLS port.
      cluster.node?.listening(mqttPort ?? mqttTlsPort ?? 0, httpPort);
      logger.info(
        {
          mqttPort,
          mqttTlsPort,
          httpPort,
          database: config.databaseUrl ? "postgresql" : `embedded (${config.dataDir})`,
          workers: config.workers.size,
          ...(cluster.node ? { nodeId: cluster.node.nodeId, cluster: "redis" } : {}),
        },
        `UNS server ready: ${[
          mqttPort !== null ? `mqtt://${config.mqtt.host}:${mqttPort}` : null,
          mqttTlsPort !== null ? `mqtts://${config.mqtt.host}:${mqttTlsPort}` : null,
          `${tls ? "https" : "http"}://${config.http.host}:${httpPort}`,
        ]
          .filter(Boolean)
          .join("  ")}  (console /, API /api/v1, MQTT over ${tls ? "secure " : ""}WebSocket /mqtt)`,
      );
      return { mqttPort, mqttTlsPort, httpPort };
    },
    /**
     * Stop watching the certificate and stop accepting TLS connections; resolves once the open
     * ones are gone (the broker's close ends them), so call it before closing the broker.
     */
    stopAccepting(): Promise<void> {
      unwatchTls();
      return new Promise<void>((resolve) =>
        mqttTls?.listening ? mqttTls.close(() => resolve()) : resolve(),
      );
    },
  };
}
