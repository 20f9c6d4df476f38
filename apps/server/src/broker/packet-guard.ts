import { isUtf8 } from "node:buffer";

/**
 * Checks the raw bytes a client sends before aedes' parser sees them. mqtt-packet buffers a
 * packet until its declared length has arrived (a CONNECT claiming 256 MB is held in memory
 * before authentication) and decodes strings leniently (ill-formed UTF-8 becomes U+FFFD), so
 * both are checked here, on the wire, where the bytes are still exact:
 *
 * - the whole packet (fixed header + remaining length) is at most `maxPacketBytes`, before
 *   CONNACK and after;
 * - topic names, topic filters, client id, will topic and user name are well-formed UTF-8
 *   without U+0000 [MQTT-1.5.3-1] [MQTT-1.5.3-2];
 * - CONNECT: will QoS is not 3 [MQTT-3.1.2-14]; no password without a user name [MQTT-3.1.2-22].
 *
 * Packets are framed from their fixed headers only; payloads pass through without copying. Only
 * the packets that carry strings (CONNECT, SUBSCRIBE, UNSUBSCRIBE, and a PUBLISH's topic) are
 * collected, each bounded by the packet limit.
 */
export interface GuardViolation {
  /** `UNS_ERR_MQTT_PACKET_TOO_LARGE` or `UNS_ERR_MQTT_MALFORMED` */
  code: "UNS_ERR_MQTT_PACKET_TOO_LARGE" | "UNS_ERR_MQTT_MALFORMED";
  message: string;
}

export interface GuardResult {
  /** Bytes of the chunk that belong to packets found good (or still incomplete). */
  pass: number;
  violation?: GuardViolation;
}

const CONNECT = 1;
const PUBLISH = 3;
const SUBSCRIBE = 8;
const UNSUBSCRIBE = 10;

export class PacketGuard {
  private headerLen = 0;
  private readonly header = new Uint8Array(5);
  /** Body bytes of the current packet still to come (-1: reading a fixed header). */
  private remaining = -1;
  private type = 0;
  /** Body bytes collected for inspection, and how many are wanted. */
  private parts: Buffer[] = [];
  private have = 0;
  private want = 0;
  private bodyLen = 0;
  private topicSized = false;
  private failed: GuardViolation | null = null;

  constructor(private readonly maxPacketBytes: number) {}

  /** Feed one chunk from the socket. After a violation every later chunk is refused too. */
  check(buf: Buffer): GuardResult {
    if (this.failed) return { pass: 0, violation: this.failed };
    let i = 0;
    let packetStart = 0;
    while (i < buf.length) {
      if (this.remaining < 0) {
        if (this.headerLen === 0) packetStart = i;
        const b = buf[i++] as number;
        this.header[this.headerLen++] = b;
        if (this.headerLen === 1) continue;
        if (b & 0x80) {
          // [MQTT-2.2.3] the remaining length takes at most four bytes
          if (this.headerLen === 5)
            return this.fail(packetStart, "UNS_ERR_MQTT_MALFORMED", "remaining length longer than 4 bytes");
          continue;
        }
        let len = 0;
        for (let k = this.headerLen - 1; k >= 1; k--) len = len * 128 + ((this.header[k] as number) & 0x7f);
        const total = len + this.headerLen;
        if (total > this.maxPacketBytes) {
          return this.fail(
            packetStart,
            "UNS_ERR_MQTT_PACKET_TOO_LARGE",
            `packet of ${total} bytes declared; at most ${this.maxPacketBytes} are accepted (mqtt.maxPacketBytes)`,
          );
        }
        this.type = (this.header[0] as number) >> 4;
        this.headerLen = 0;
        this.remaining = len;
        this.bodyLen = len;
        this.topicSized = false;
        this.parts = [];
        this.have = 0;
        // A PUBLISH needs only its topic (length first); the others are read whole.
        this.want = this.type === PUBLISH ? Math.min(2, len) : isInspected(this.type) ? len : 0;
        if (len === 0) this.endPacket();
        continue;
      }
      const take = Math.min(this.remaining, buf.length - i);
      let used = 0;
      while (this.have < this.want && used < take) {
        const n = Math.min(take - used, this.want - this.have);
        this.parts.push(buf.subarray(i + used, i + used + n));
        this.have += n;
        used += n;
        if (this.type === PUBLISH && !this.topicSized && this.have >= 2) {
          // the topic's length is known now: collect the topic, never the payload
          this.topicSized = true;
          const b = Buffer.concat(this.parts);
          this.parts = [b];
          this.want = Math.min(2 + b.readUInt16BE(0), this.bodyLen);
        }
      }
      i += take;
      this.remaining -= take;
      if (this.remaining === 0) {
        const v = this.endPacket();
        if (v) return this.fail(packetStart, v.code, v.message);
      }
    }
    return { pass: buf.length };
  }

  private fail(packetStart: number, code: GuardViolation["code"], message: string): GuardResult {
    this.failed = { code, message };
    return { pass: packetStart, violation: this.failed };
  }

  /** A packet's body is complete: check what was collected. */
  private endPacket(): GuardViolation | null {
    const type = this.type;
    const body = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
    this.remaining = -1;
    this.parts = [];
    this.have = 0;
    this.want = 0;
    const problem =
      type === PUBLISH
        ? checkPublish(body)
        : type === SUBSCRIBE
          ? checkFilters(body, true)
          : type === UNSUBSCRIBE
            ? checkFilters(body, false)
            : type === CONNECT
              ? checkConnect(body)
              : null;
    return problem ? { code: "UNS_ERR_MQTT_MALFORMED", message: problem } : null;
  }
}

function isInspected(type: number): boolean {
  return type === CONNECT || type === SUBSCRIBE || type === UNSUBSCRIBE;
}

/** Why a UTF-8 string field is not acceptable, or null [MQTT-1.5.3-1] [MQTT-1.5.3-2]. */
function badString(bytes: Buffer, what: string): string | null {
  if (bytes.includes(0)) return `${what} contains U+0000 [MQTT-1.5.3-2]`;
  if (!isUtf8(bytes)) return `${what} is not well-formed UTF-8 [MQTT-1.5.3-1]`;
  return null;
}

/** A length-prefixed string at `pos`: its bytes and the position after it, or null if cut short. */
function stringAt(body: Buffer, pos: number): { bytes: Buffer; next: number } | null {
  if (pos + 2 > body.length) return null;
  const len = body.readUInt16BE(pos);
  if (pos + 2 + len > body.length) return null;
  return { bytes: body.subarray(pos + 2, pos + 2 + len), next: pos + 2 + len };
}

function checkPublish(body: Buffer): string | null {
  const s = stringAt(body, 0);
  // a cut-short topic is the parser's to report
  return s ? badString(s.bytes, "topic name") : null;
}

function checkFilters(body: Buffer, withQos: boolean): string | null {
  let pos = 2; // packet identifier
  while (pos < body.length) {
    const s = stringAt(body, pos);
    if (!s) return null;
    const bad = badString(s.bytes, "topic filter");
    if (bad) return bad;
    pos = s.next + (withQos ? 1 : 0);
  }
  return null;
}

function checkConnect(body: Buffer): string | null {
  const proto = stringAt(body, 0);
  if (!proto || proto.next + 4 > body.length) return null;
  const level = body[proto.next] as number;
  const flags = body[proto.next + 1] as number;
  const will = (flags & 0x04) !== 0;
  const willQos = (flags >> 3) & 0x03;
  const hasUser = (flags & 0x80) !== 0;
  const hasPassword = (flags & 0x40) !== 0;
  if (will && willQos === 3) return "will QoS 3 is not allowed [MQTT-3.1.2-14]";
  if (hasPassword && !hasUser) return "a password without a user name is not allowed [MQTT-3.1.2-22]";
  // MQTT 5 puts properties between the fields: only 3.1 / 3.1.1 are walked (aedes 1.2 speaks 3.1.1).
  if (level !== 3 && level !== 4) return null;
  let pos = proto.next + 4;
  const fields: string[] = ["client id"];
  if (will) fields.push("will topic", "will message");
  if (hasUser) fields.push("user name");
  for (const what of fields) {
    const s = stringAt(body, pos);
    if (!s) return null;
    if (what !== "will message") {
      const bad = badString(s.bytes, what);
      if (bad) return bad;
    }
    pos = s.next;
  }
  return null;
}
