import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import {
  CONNACK,
  connectPacket,
  DISCONNECT,
  PacketScanner,
  PUBACK,
  PUBLISH,
  type PublishTemplate,
  publishTemplate,
  readDigits,
  SUBACK,
  subscribePacket,
  writeDigits,
  writePuback,
} from "./mqtt-wire.js";
import { SEQ_BASE, SEQ_DIGITS, STAMP_AT, STAMP_DIGITS, weldPayload } from "./weld-payload.js";

/**
 * The load generator: N publishers and one subscriber on `#`, each a raw TCP socket. Publishers
 * replay a pre-encoded PUBLISH, patching the packet id, a sequence number and the send time
 * (microseconds) into a copy; the subscriber finds packet boundaries, reads the send time at a
 * known offset, and acknowledges QoS 1 deliveries. One event loop, one core.
 */

export interface GeneratorOptions {
  port: number;
  host?: string;
  /** One topic per publisher. */
  topics: string[];
  qos: 0 | 1;
  username?: string;
  password?: string;
  subscriberUsername?: string;
  subscriberPassword?: string;
  /** QoS 1: messages a publisher may have without PUBACK. */
  window: number;
  /** Messages sent but not yet delivered to the subscriber, at most, in max-throughput mode. */
  maxInFlight: number;
  connectTimeoutMs?: number;
}

interface Publisher {
  index: number;
  socket: Socket;
  template: PublishTemplate;
  stampAt: number;
  seqAt: number;
  seq: number;
  nextPacketId: number;
  inFlight: number;
}

/** Only this much of a packet's body is looked at: topic (< 100 bytes), packet id, spotId. */
const HEAD_BYTES = 192;
const US = 1000;

export interface PhaseCounters {
  sent: number;
  delivered: number;
  acked: number;
}

export class LoadGenerator {
  readonly publishers: Publisher[] = [];
  private subscriber!: Socket;
  sent = 0;
  delivered = 0;
  acked = 0;
  /** Deliveries whose send time could not be read (should stay 0). */
  unreadable = 0;
  private latencies = new Float64Array(1 << 16);
  /** The send time (microseconds) of each recorded latency, so a run can split it into windows. */
  private latencyStamps = new Float64Array(1 << 16);
  private latencyCount = 0;
  /** Latency is recorded for messages sent at or after this time (microseconds), when >= 0. */
  private recordFrom = -1;
  private mode: "idle" | "rate" | "max" = "idle";
  private rateTimer: NodeJS.Timeout | null = null;
  private pumpScheduled = false;
  private rr = 0;
  /** Rate mode: timer ticks on which some due message waited for a full QoS 1 window. */
  windowStalls = 0;
  private readonly errors: Error[] = [];

  constructor(readonly options: GeneratorOptions) {}

  /** Connects the subscriber (and subscribes) and then every publisher. */
  async connect(): Promise<void> {
    const o = this.options;
    this.subscriber = await this.open(
      { clientId: "bench-sub", username: o.subscriberUsername, password: o.subscriberPassword },
      (sock) => this.subscriberHandler(sock),
    );
    await new Promise<void>((resolve, reject) => {
      this.onSuback = (code) => (code === 0x80 ? reject(new Error("SUBSCRIBE # refused (0x80)")) : resolve());
      this.subscriber.write(subscribePacket(1, "#", o.qos));
    });
    const pubs = await Promise.all(
      o.topics.map(async (topic, index) => {
        const payload = weldPayload(index);
        const template = publishTemplate(topic, payload.bytes, o.qos);
        const pub: Publisher = {
          index,
          socket: null as unknown as Socket,
          template,
          stampAt: template.payloadAt + payload.stampAt,
          seqAt: template.payloadAt + payload.seqAt,
          seq: 0,
          nextPacketId: 1,
          inFlight: 0,
        };
        pub.socket = await this.open(
          {
            clientId: `bench-pub-${String(index).padStart(3, "0")}`,
            username: o.username,
            password: o.password,
          },
          () => this.publisherHandler(pub),
        );
        return pub;
      }),
    );
    this.publishers.push(...pubs);
  }

  get payloadBytes(): number {
    const t = this.publishers[0]!.template;
    return t.bytes.length - t.payloadAt;
  }

  failures(): Error[] {
    return this.errors;
  }

  private onSuback: (code: number) => void = () => {};

  private open(
    c: { clientId: string; username?: string; password?: string },
    handler: (sock: Socket) => (b0: number, buf: Buffer, at: number, len: number) => void,
  ): Promise<Socket> {
    const o = this.options;
    return new Promise<Socket>((resolve, reject) => {
      const sock = connect({ port: o.port, host: o.host ?? "127.0.0.1", noDelay: true });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`${c.clientId}: no CONNACK within ${o.connectTimeoutMs ?? 60_000} ms`));
      }, o.connectTimeoutMs ?? 60_000);
      let connected = false;
      const onPacket = handler(sock);
      const scanner = new PacketScanner(HEAD_BYTES, (b0, buf, at, len) => {
        if (!connected && b0 >> 4 === CONNACK) {
          clearTimeout(timer);
          const rc = buf[at + 1]!;
          if (rc !== 0) {
            sock.destroy();
            reject(new Error(`${c.clientId}: CONNACK return code ${rc}`));
            return;
          }
          connected = true;
          resolve(sock);
          return;
        }
        onPacket(b0, buf, at, len);
      });
      sock.on("data", (chunk: Buffer) => scanner.push(chunk));
      sock.on("error", (err) => {
        clearTimeout(timer);
        if (!connected) reject(err);
        else this.errors.push(new Error(`${c.clientId}: ${err.message}`));
      });
      sock.on("close", () => {
        if (connected && this.mode !== "idle")
          this.errors.push(new Error(`${c.clientId}: connection closed by the broker`));
      });
      sock.write(
        connectPacket({ clientId: c.clientId, username: c.username, password: c.password, keepalive: 0 }),
      );
    });
  }

  private subscriberHandler(sock: Socket) {
    const acks: number[] = [];
    let ackScheduled = false;
    let now = 0;
    let nowValid = false;
    const flushAcks = () => {
      ackScheduled = false;
      nowValid = false;
      if (acks.length === 0) return;
      const buf = Buffer.allocUnsafe(acks.length * 4);
      for (let i = 0; i < acks.length; i++) writePuback(buf, i * 4, acks[i]!);
      acks.length = 0;
      sock.write(buf);
    };
    return (b0: number, buf: Buffer, at: number) => {
      const type = b0 >> 4;
      if (type === PUBLISH) {
        const qos = (b0 >> 1) & 3;
        const topicLength = buf.readUInt16BE(at);
        let p = at + 2 + topicLength;
        if (qos > 0) {
          acks.push(buf.readUInt16BE(p));
          p += 2;
        }
        this.delivered++;
        if (this.recordFrom >= 0) {
          const stamp = readDigits(buf, p + STAMP_AT, STAMP_DIGITS);
          if (stamp < 0) this.unreadable++;
          else if (stamp >= this.recordFrom) {
            // One clock read per socket read: all its packets arrived together.
            if (!nowValid) {
              now = performance.now() * US;
              nowValid = true;
            }
            this.recordLatency(stamp, now - stamp);
          }
        }
        if (!ackScheduled) {
          ackScheduled = true;
          setImmediate(flushAcks);
        }
        if (this.mode === "max") this.schedulePump();
      } else if (type === SUBACK) {
        this.onSuback(buf[at + 2]!);
      }
    };
  }

  private publisherHandler(pub: Publisher) {
    return (b0: number) => {
      if (b0 >> 4 === PUBACK) {
        pub.inFlight--;
        this.acked++;
        if (this.mode === "max") this.schedulePump();
      }
    };
  }

  private recordLatency(stamp: number, us: number): void {
    if (this.latencyCount === this.latencies.length) {
      const grow = (a: Float64Array) => {
        const grown = new Float64Array(a.length * 2);
        grown.set(a);
        return grown;
      };
      this.latencies = grow(this.latencies);
      this.latencyStamps = grow(this.latencyStamps);
    }
    this.latencyStamps[this.latencyCount] = stamp;
    this.latencies[this.latencyCount++] = us;
  }

  /** Sends `count` messages from one publisher in one write. */
  private send(pub: Publisher, count: number): void {
    const t = pub.template;
    const size = t.bytes.length;
    const buf = Buffer.allocUnsafe(size * count);
    const stamp = Math.round(performance.now() * US);
    for (let i = 0; i < count; i++) {
      const base = i * size;
      t.bytes.copy(buf, base);
      writeDigits(buf, base + pub.seqAt, SEQ_DIGITS, SEQ_BASE + (pub.seq++ % 8_999_999_999));
      writeDigits(buf, base + pub.stampAt, STAMP_DIGITS, stamp);
      if (t.packetIdAt >= 0) {
        buf.writeUInt16BE(pub.nextPacketId, base + t.packetIdAt);
        pub.nextPacketId = pub.nextPacketId === 0xffff ? 1 : pub.nextPacketId + 1;
        pub.inFlight++;
      }
    }
    pub.socket.write(buf);
    this.sent += count;
  }

  /** Sends at a fixed total rate (messages per second), round-robin over the publishers. */
  startRate(perSecond: number): void {
    this.mode = "rate";
    const started = performance.now();
    const startSent = this.sent;
    const pubs = this.publishers;
    const qos1 = this.options.qos > 0;
    const counts = new Int32Array(pubs.length);
    const tick = () => {
      const due = Math.floor(((performance.now() - started) / 1000) * perSecond) - (this.sent - startSent);
      let left = due;
      let blocked = 0;
      counts.fill(0);
      while (left > 0 && blocked < pubs.length) {
        const i = this.rr;
        this.rr = (this.rr + 1) % pubs.length;
        if (qos1 && pubs[i]!.inFlight + counts[i]! >= this.options.window) {
          blocked++;
          continue;
        }
        blocked = 0;
        counts[i]!++;
        left--;
      }
      if (left > 0) this.windowStalls++;
      for (let i = 0; i < pubs.length; i++) if (counts[i]! > 0) this.send(pubs[i]!, counts[i]!);
      this.rateTimer = setTimeout(tick, 1);
    };
    tick();
  }

  /** Sends as fast as deliveries (and, at QoS 1, PUBACKs) come back, within the in-flight limits. */
  startMax(): void {
    this.mode = "max";
    this.pump();
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      if (this.mode === "max") this.pump();
    });
  }

  private pump(): void {
    const pubs = this.publishers;
    const o = this.options;
    let budget = o.maxInFlight - (this.sent - this.delivered);
    if (budget <= 0) return;
    const share = Math.max(1, Math.ceil(budget / pubs.length));
    for (let n = 0; n < pubs.length && budget > 0; n++) {
      const pub = pubs[this.rr]!;
      this.rr = (this.rr + 1) % pubs.length;
      let k = Math.min(share, budget);
      if (o.qos > 0) k = Math.min(k, o.window - pub.inFlight);
      // A publisher whose socket is backed up waits for the broker to read it.
      if (k <= 0 || pub.socket.writableLength > 1 << 20) continue;
      this.send(pub, k);
      budget -= k;
    }
  }

  /** Stops sending (in-flight messages still arrive). */
  stop(): void {
    this.mode = "idle";
    if (this.rateTimer) clearTimeout(this.rateTimer);
    this.rateTimer = null;
  }

  /** Starts recording latency for messages sent from now on, forgetting earlier samples. */
  recordLatencyFromNow(): void {
    this.latencyCount = 0;
    this.recordFrom = Math.round(performance.now() * US);
  }

  stopRecordingLatency(): void {
    this.recordFrom = -1;
  }

  /** The generator's clock as send times are written (microseconds), to bound a window. */
  clockUs(): number {
    return Math.round(performance.now() * US);
  }

  /**
   * Latencies recorded (since `recordLatencyFromNow`) of the messages sent in [fromUs, toUs),
   * sorted; read after a drain, so that the slowest of a window are in it.
   */
  latenciesSentBetween(fromUs: number, toUs: number): Float64Array {
    const out = new Float64Array(this.latencyCount);
    let n = 0;
    for (let i = 0; i < this.latencyCount; i++) {
      const stamp = this.latencyStamps[i]!;
      if (stamp >= fromUs && stamp < toUs) out[n++] = this.latencies[i]!;
    }
    return out.slice(0, n).sort();
  }

  counters(): PhaseCounters {
    return { sent: this.sent, delivered: this.delivered, acked: this.acked };
  }

  /** Resolves true when everything sent was delivered (and acked at QoS 1), false on timeout. */
  async drain(timeoutMs: number): Promise<boolean> {
    const until = performance.now() + timeoutMs;
    const done = () => this.delivered >= this.sent && (this.options.qos === 0 || this.acked >= this.sent);
    while (!done()) {
      if (performance.now() > until) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  async close(): Promise<void> {
    this.stop();
    const all = [this.subscriber, ...this.publishers.map((p) => p.socket)].filter(Boolean);
    await Promise.all(
      all.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.destroyed) return resolve();
            s.once("close", () => resolve());
            s.end(DISCONNECT);
            setTimeout(() => s.destroy(), 2000).unref();
          }),
      ),
    );
  }
}

/** p-th percentile (0..100) of sorted values, nearest rank. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}
