/**
 * Just enough MQTT 3.1.1 on the wire for the load generator: packets are built once as bytes by
 * mqtt-packet (the encoder aedes and MQTT.js use) and replayed, patched in place; incoming data
 * is scanned for packet boundaries without decoding payloads. An MQTT.js client per publisher,
 * or mqtt-packet's parser (an object per packet), would cost more CPU than the broker we
 * measure (both share two cores).
 */
import mqttPacket from "mqtt-packet";

const v4 = { protocolVersion: 4 } as const;

/** Packet types (MQTT 3.1.1 section 2.2.1), as the high nibble of the first byte. */
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const SUBACK = 9;

export interface ConnectOptions {
  clientId: string;
  username?: string;
  password?: string;
  /** Seconds; 0 turns keep-alive off so the bench never needs PINGREQ. */
  keepalive?: number;
}

/** CONNECT, protocol level 4 (3.1.1), clean session. */
export function connectPacket(o: ConnectOptions): Buffer {
  return mqttPacket.generate(
    {
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clean: true,
      clientId: o.clientId,
      keepalive: o.keepalive ?? 0,
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: Buffer.from(o.password) } : {}),
    },
    v4,
  );
}

/** SUBSCRIBE to one filter (the reserved bits of the first byte are 0010 [MQTT-3.8.1-1]). */
export function subscribePacket(packetId: number, filter: string, qos: 0 | 1): Buffer {
  return mqttPacket.generate(
    { cmd: "subscribe", messageId: packetId, subscriptions: [{ topic: filter, qos }] },
    v4,
  );
}

export const DISCONNECT = mqttPacket.generate({ cmd: "disconnect" }, v4);

/** Writes a PUBACK for `packetId` at `offset`; a PUBACK is always 4 bytes. */
export function writePuback(buf: Buffer, offset: number, packetId: number): void {
  buf[offset] = 0x40;
  buf[offset + 1] = 0x02;
  buf[offset + 2] = packetId >> 8;
  buf[offset + 3] = packetId & 0xff;
}

export interface PublishTemplate {
  bytes: Buffer;
  /** Offset of the packet identifier, or -1 at QoS 0. */
  packetIdAt: number;
  /** Offset of the payload's first byte. */
  payloadAt: number;
}

/** A PUBLISH packet to copy and patch per message (packet id, and fields inside the payload). */
export function publishTemplate(topic: string, payload: Buffer, qos: 0 | 1): PublishTemplate {
  const bytes = mqttPacket.generate(
    { cmd: "publish", topic, payload, qos, retain: false, dup: false, ...(qos > 0 ? { messageId: 1 } : {}) },
    v4,
  );
  // The payload is the packet's tail; the packet id (QoS 1) stands just before it.
  const payloadAt = bytes.length - payload.length;
  return { bytes, packetIdAt: qos > 0 ? payloadAt - 2 : -1, payloadAt };
}

/**
 * Called once per packet with its first byte, the buffer holding its start, where its body starts
 * and its Remaining Length. At least min(remaining, headBytes) body bytes are readable from
 * `bodyAt`; the rest of the body may not be (it is skipped without being copied).
 */
export type PacketHandler = (byte0: number, buf: Buffer, bodyAt: number, remaining: number) => void;

/**
 * Finds packet boundaries in a TCP byte stream. Only a packet's first `headBytes` body bytes are
 * ever looked at; large payloads split across reads are skipped, and only a packet whose header is
 * itself split is copied (a few hundred bytes at most).
 */
export class PacketScanner {
  private skip = 0;
  private pending: Buffer | null = null;

  constructor(
    private readonly headBytes: number,
    private readonly onPacket: PacketHandler,
  ) {}

  push(chunk: Buffer): void {
    let off = 0;
    if (this.skip > 0) {
      off = Math.min(this.skip, chunk.length);
      this.skip -= off;
      if (off === chunk.length) return;
    }
    if (this.pending) {
      const pend = this.pending;
      const head = Buffer.concat([pend, chunk.subarray(off, off + this.headBytes + 5)]);
      const total = this.scan(head, 0);
      if (total < 0) {
        // Not even the head is complete, so this chunk was shorter than headBytes + 5: all taken.
        this.pending = head;
        return;
      }
      this.pending = null;
      off += total - pend.length;
      if (off > chunk.length) {
        this.skip = off - chunk.length;
        return;
      }
    }
    while (off < chunk.length) {
      const total = this.scan(chunk, off);
      if (total < 0) {
        this.pending = Buffer.from(chunk.subarray(off));
        return;
      }
      off += total;
      if (off > chunk.length) {
        this.skip = off - chunk.length;
        return;
      }
    }
  }

  /** The packet's total length if its head is readable (and then it is handled), else -1. */
  private scan(buf: Buffer, off: number): number {
    let i = off + 1;
    let remaining = 0;
    let mul = 1;
    for (;;) {
      if (i >= buf.length) return -1;
      const b = buf[i++]!;
      remaining += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
      if (mul > 128 ** 3) throw new Error("malformed Remaining Length");
    }
    if (buf.length - i < Math.min(remaining, this.headBytes)) return -1;
    this.onPacket(buf[off]!, buf, i, remaining);
    return i - off + remaining;
  }
}

/** Writes `value` as exactly `width` ASCII digits (zero-padded) at `at`. */
export function writeDigits(buf: Buffer, at: number, width: number, value: number): void {
  for (let i = at + width - 1; i >= at; i--) {
    buf[i] = 48 + (value % 10);
    value = Math.floor(value / 10);
  }
}

/** Reads `width` ASCII digits at `at`; -1 if any byte is not a digit. */
export function readDigits(buf: Buffer, at: number, width: number): number {
  let v = 0;
  for (let i = at; i < at + width; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}
