/**
 * The contract data the main thread builds from the AsyncAPI documents and posts to every
 * validation worker. Plain JSON only: no class instances, no cycles (structured-clone and
 * JSON safe), so it can also be served by the API as is.
 */

/** A JSON Schema (object or boolean form), free of cycles; recursion is expressed with `$defs`. */
export type JSONSchema = { [key: string]: unknown } | boolean;

export interface MessageSpec {
  /** Unique within the channel: the message key (AsyncAPI 3) or name / messageId (2.x). */
  name: string;
  title?: string;
  /** From the message, else the document's defaultContentType, else application/json. */
  contentType: string;
  /** e.g. `application/vnd.aai.asyncapi;version=3.0.0`, `application/vnd.apache.avro;version=1.9.0`. */
  schemaFormat: string;
  /** null when the message declares no payload (then any payload is accepted). */
  payload: JSONSchema | null;
  /** false when the payload cannot be checked (schema format or content type we do not validate). */
  supported: boolean;
  unsupportedReason?: string;
  /** Example payloads from `message.examples[].payload`. */
  examples: unknown[];
}

export interface ChannelSpec {
  /** AsyncAPI 3 channel id; for 2.x the channel name (its address). Unique across documents. */
  id: string;
  /** The document it comes from, as the loader was given it (e.g. `asyncapi/weld.yaml`). */
  file: string;
  /** The document's info.title. */
  title: string;
  /** The document's info.version. */
  version: string;
  /** The channel address with `{param}` placeholders, or null when the document gives none. */
  address: string | null;
  /** The address as an MQTT filter: each level holding a `{param}` becomes `+`. */
  filter: string | null;
  /** Parameter name -> JSON Schema for its topic level value; null = any value. */
  parameters: Record<string, JSONSchema | null>;
  messages: MessageSpec[];
  description?: string;
}

export interface ContractSet {
  /** sha256 over all documents (file names and contents): changes whenever any document does. */
  version: string;
  channels: ChannelSpec[];
}

/**
 * A channel without its message schemas and examples: what the broker's event loop keeps for
 * lookups (id, file, version, address). The full channels travel as JSON text
 * (`TransferredContracts.channelsJson`), which costs a memory copy to hand between threads where
 * a structured clone of 1,000 schemas costs a fifth of a second.
 */
export type ChannelSummary = Omit<ChannelSpec, "messages"> & {
  /** Message names, in order. */
  messages: string[];
};

/** Contracts as the loader thread hands them to the broker. */
export interface TransferredContracts {
  /** As `ContractSet.version`. */
  version: string;
  /** `ContractSet.channels` as JSON text. */
  channelsJson: string;
  channels: ChannelSummary[];
}

/** The summary of a channel (see `ChannelSummary`). */
export function summarizeChannel(c: ChannelSpec): ChannelSummary {
  return { ...c, messages: c.messages.map((m) => m.name) };
}
