// Hand-built MQTT 3.1.1 packets on raw sockets, for what a well-behaved client library will not send.
import { connect, type Socket } from "node:net";

export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function str(s: string | Buffer): Buffer {
  const b = typeof s === "string" ? Buffer.from(s, "utf8") : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

export function packet(typeAndFlags: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([typeAndFlags]), remainingLength(body.length), body]);
}

export interface ConnectFields {
  clientId?: string | Buffer;
  username?: string | Buffer;
  password?: string;
  /** Force flag bits (e.g. a password flag without a user name). */
  flags?: number;
  will?: { topic: string; payload: string; qos: number };
  clean?: boolean;
}

export function connectPacket(f: ConnectFields = {}): Buffer {
  let flags = f.flags ?? 0;
  if (f.flags === undefined) {
    if (f.clean !== false) flags |= 0x02;
    if (f.username !== undefined) flags |= 0x80;
    if (f.password !== undefined) flags |= 0x40;
    if (f.will) flags |= 0x04 | ((f.will.qos & 3) << 3);
  }
  const parts = [str("MQTT"), Buffer.from([4, flags, 0, 60]), str(f.clientId ?? "")];
  if (f.will) parts.push(str(f.will.topic), str(f.will.payload));
  if (f.username !== undefined) parts.push(str(f.username));
  if (f.password !== undefined) parts.push(str(f.password));
  return packet(0x10, Buffer.concat(parts));
}

export function publishPacket(
  topic: string | Buffer,
  payload: Buffer | string,
  qos = 0,
  messageId = 1,
): Buffer {
  const parts = [str(topic)];
  if (qos > 0) {
    const id = Buffer.alloc(2);
    id.writeUInt16BE(messageId);
    parts.push(id);
  }
  parts.push(typeof payload === "string" ? Buffer.from(payload) : payload);
  return packet(0x30 | (qos << 1), Buffer.concat(parts));
}

export function subscribePacket(filter: string | Buffer, qos = 0, messageId = 1): Buffer {
  const id = Buffer.alloc(2);
  id.writeUInt16BE(messageId);
  return packet(0x82, Buffer.concat([id, str(filter), Buffer.from([qos])]));
}

export interface RawClient {
  socket: Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** Resolves when the broker closes the connection (true) or after `ms` (false). */
  closed(ms: number): Promise<boolean>;
  /** Resolves once `n` bytes or more have arrived, or after `ms`. */
  waitBytes(n: number, ms: number): Promise<Buffer>;
  write(b: Buffer): Promise<void>;
  end(): void;
}

export async function rawClient(port: number): Promise<RawClient> {
  const socket = connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  socket.on("error", () => undefined);
  const chunks: Buffer[] = [];
  let isClosed = false;
  socket.on("data", (d) => chunks.push(d));
  const closedP = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  void closedP.then(() => {
    isClosed = true;
  });
  return {
    socket,
    received: () => Buffer.concat(chunks),
    closed: (ms) =>
      Promise.race([
        closedP.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(isClosed), ms)),
      ]),
    async waitBytes(n, ms) {
      const until = Date.now() + ms;
      while (Buffer.concat(chunks).length < n && Date.now() < until && !isClosed)
        await new Promise((r) => setTimeout(r, 10));
      return Buffer.concat(chunks);
    },
    write: (b) =>
      new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve();
        socket.write(b, () => resolve());
      }),
    end: () => socket.destroy(),
  };
}
