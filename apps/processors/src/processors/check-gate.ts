import { unwatchFile, watchFile } from "node:fs";
import type { ContractSet, Validator } from "@uns/contracts";
import type { ProcessorsConfig } from "../config.js";
import { connectLink, type MqttLink, within } from "../runtime/mqtt-link.js";
import { createSplatterGate, type GateDecision } from "../splatter/gate.js";
import {
  type CheckGateRules,
  type Decision,
  decide,
  type QualityResult,
  readRules,
} from "./check-gate-rules.js";
import { readInput } from "./read-input.js";
import { channelTopics } from "./topics.js";
import type { Logger } from "./weld-quality.js";

/**
 * The check gate: collects the weld-quality results of each body at each cell and publishes one
 * `checkGateDecision` per gate and body (continue, correct, scrap) with the reason and every
 * result it used as evidence. Its rules file is watched and reloaded; a broken edit keeps the
 * rules it had.
 */
export interface CheckGateProcessor {
  readonly id: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  rules(): CheckGateRules;
  status(): Record<string, unknown>;
}

interface Open {
  topicParams: Record<string, string>;
  bodyId: string;
  results: QualityResult[];
  timer: NodeJS.Timeout;
}

export function createCheckGateProcessor(deps: {
  config: ProcessorsConfig;
  contracts: () => ContractSet;
  validator: () => Validator;
  logger: Logger;
}): CheckGateProcessor {
  const { config, logger } = deps;
  const id = "check-gate";
  const channel = (cid: string) => deps.contracts().channels.find((c) => c.id === cid);
  const input = channelTopics(channel("weldQuality"), "weldQuality");
  const output = channelTopics(channel("checkGateDecision"), "checkGateDecision");
  // Splatter results are decided per body by the zone map (splatter/gate.ts).
  const splatterInput = channelTopics(channel("splatterDetections"), "splatterDetections");
  const splatter = createSplatterGate({
    file: config["splatter.zonesFile"],
    validator: deps.validator,
    logger,
    publish: (params, decision) => send(params, decision),
  });
  const file = config["checkGate.rulesFile"];
  let rules = readRules(file);
  let rulesError: string | null = null;
  const open = new Map<string, Open>();
  const counts = { received: 0, invalid: 0, decisions: 0, refused: 0, continue: 0, correct: 0, scrap: 0 };
  let link: MqttLink | null = null;
  const pending = new Set<Promise<unknown>>();

  const reload = () => {
    try {
      rules = readRules(file);
      rulesError = null;
      logger.info(`${id}: rules reloaded from ${file} (${rules.name} ${rules.version})`);
    } catch (err) {
      rulesError = (err as Error).message;
      logger.error(`${id}: UNS_ERR_RULES_INVALID ${rulesError}; keeping ${rules.name} ${rules.version}`);
    }
  };

  function close(key: string): void {
    const o = open.get(key);
    if (!o) return;
    open.delete(key);
    clearTimeout(o.timer);
    send(o.topicParams, decide(rules, o.bodyId, o.results, new Date()));
  }

  function send(topicParams: Record<string, string>, decision: Decision | GateDecision): void {
    const checked = deps.validator().validateValue("checkGateDecision", decision);
    if (checked.outcome !== "valid") {
      counts.refused++;
      logger.warn(
        `${id}: decision refused by the checkGateDecision contract: ${JSON.stringify(checked.errors[0])}`,
      );
      return;
    }
    counts.decisions++;
    counts[decision.decision]++;
    if (!link) return;
    const sent = link.client
      .publishAsync(output.topic(topicParams), JSON.stringify(decision), { qos: 1 })
      .catch((err: Error) => logger.error(`${id}: publish failed: ${err.message}`))
      .finally(() => pending.delete(sent));
    pending.add(sent);
  }

  function onMessage(topic: string, payload: Buffer): void {
    const splatterParams = splatterInput.parameters(topic);
    if (splatterParams) {
      splatter.onResult(splatterParams, payload);
      return;
    }
    const params = input.parameters(topic);
    if (!params) return;
    counts.received++;
    const value = readInput(deps.validator(), "weldQuality", payload);
    if (value === null) {
      counts.invalid++;
      return;
    }
    const result = value as QualityResult;
    const cell = Object.values(params).join("/");
    const key = `${cell}|${result.spot.bodyId}`;
    // A result for another body at the same cell: the previous body has left the cell.
    for (const [k, o] of open) if (k.startsWith(`${cell}|`) && o.bodyId !== result.spot.bodyId) close(k);
    let o = open.get(key);
    if (!o) {
      o = {
        topicParams: params,
        bodyId: result.spot.bodyId,
        results: [],
        timer: setTimeout(() => close(key), rules.quietMs),
      };
      open.set(key, o);
    }
    o.results.push(result);
    o.timer.refresh();
    const perBody = config["checkGate.spotsPerBody"] || rules.spotsPerBody;
    if (o.results.length >= perBody) close(key);
  }

  return {
    id,
    rules: () => rules,
    async start() {
      watchFile(file, { interval: 200 }, reload);
      link = await connectLink({
        url: config["mqtt.url"],
        clientId: `${config["mqtt.clientPrefix"]}-${id}`,
        username: config["mqtt.username"],
        password: config["mqtt.password"],
        subscriptions: [input.filter, splatterInput.filter],
        onMessage,
        onStatus: (s, detail) => {
          if (s !== "connected") logger.warn(`${id}: mqtt ${s}${detail ? `: ${detail}` : ""}`);
        },
      });
    },
    async stop() {
      unwatchFile(file, reload);
      for (const key of [...open.keys()]) close(key);
      splatter.closeAll();
      if (!(await within(Promise.all(pending), config.shutdownTimeoutMs)))
        logger.warn(`${id}: stopped before the server acknowledged ${pending.size} decisions`);
      await link?.close();
      link = null;
    },
    status: () => ({
      id,
      up: link !== null,
      ...counts,
      openBodies: open.size,
      rules: `${rules.name} ${rules.version}`,
      rulesError,
      splatter: splatter.status(),
    }),
  };
}
