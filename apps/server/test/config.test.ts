import { describe, expect, it } from "vitest";
import { envName, loadConfig } from "../src/config.js";

describe("config", () => {
  it("has laptop defaults", () => {
    const c = loadConfig({ env: {}, cwd: "/srv/uns" });
    expect(c.mqtt.port).toBe(1883);
    expect(c.http.port).toBe(8080);
    expect(c.dataDir).toBe("/srv/uns/data");
    expect(c.contractsDir).toBe("/srv/uns/asyncapi");
    expect(c.topicsDir).toBe("/srv/uns/topics");
    expect(c.mqtt.allowAnonymous).toBe(false);
    expect(c.databaseUrl).toBe("");
    expect(Object.isFrozen(c.mqtt)).toBe(true);
  });

  it("derives the environment variable names from the schema", () => {
    expect(envName("mqtt.port")).toBe("UNS_MQTT_PORT");
    expect(envName("http.port")).toBe("UNS_HTTP_PORT");
    expect(envName("dataDir")).toBe("UNS_DATA_DIR");
    expect(envName("mqtt.allowAnonymous")).toBe("UNS_MQTT_ALLOW_ANONYMOUS");
    expect(envName("databaseUrl")).toBe("DATABASE_URL");
  });

  it("reads the environment", () => {
    const c = loadConfig({
      env: {
        UNS_MQTT_PORT: "0",
        UNS_MQTT_ALLOW_ANONYMOUS: "true",
        DATABASE_URL: "postgres://x/y",
        UNS_WORKERS_SIZE: "3",
      },
    });
    expect(c.mqtt.port).toBe(0);
    expect(c.mqtt.allowAnonymous).toBe(true);
    expect(c.databaseUrl).toBe("postgres://x/y");
    expect(c.workers.size).toBe(3);
  });

  it("lists every problem at once, naming the variable and what is accepted", () => {
    let message = "";
    try {
      loadConfig({ env: { UNS_MQTT_PORT: "70000", UNS_MQTT_ALLOW_ANONYMOUS: "maybe", UNS_HTTP_PROT: "1" } });
    } catch (e) {
      message = (e as Error).message;
      expect((e as { code: string }).code).toBe("UNS_ERR_CONFIG_INVALID");
    }
    expect(message).toMatch(/UNS_MQTT_PORT.*a port number 0-65535/);
    expect(message).toMatch(/UNS_MQTT_ALLOW_ANONYMOUS.*true or false/);
    expect(message).toMatch(/UNS_HTTP_PROT: unknown environment variable/);
  });

  it("leaves the processors' UNS_PROC_* variables to them", () => {
    const config = loadConfig({
      env: { UNS_PROC_MQTT_PASSWORD: "x", UNS_PROCESSORS_URL: "http://127.0.0.1:9" },
    });
    expect(config.processors.url).toBe("http://127.0.0.1:9");
  });
});
