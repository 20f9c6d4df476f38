import { type Static, Type } from "typebox";
import { countFields, Instant, JsonSchema, Nullable, Policy, Text, windowFields } from "./common.js";

/** Schemas of the governance operations: contracts, the topic tree, users. */

const strict = { additionalProperties: false } as const;

export const MessageSpec = Type.Object(
  {
    name: Type.String(),
    title: Type.Optional(Type.String()),
    contentType: Type.String(),
    schemaFormat: Type.String(),
    payload: Nullable(JsonSchema),
    supported: Type.Boolean(),
    unsupportedReason: Type.Optional(Type.String()),
    examples: Type.Array(Type.Unknown()),
  },
  strict,
);
export type MessageSpec = Static<typeof MessageSpec>;

export const ChannelSpec = Type.Object(
  {
    id: Type.String(),
    file: Type.String(),
    title: Type.String(),
    version: Type.String(),
    address: Nullable(Type.String()),
    filter: Nullable(Type.String()),
    parameters: Type.Record(Type.String(), Nullable(JsonSchema)),
    messages: Type.Array(MessageSpec),
    description: Type.Optional(Type.String()),
  },
  strict,
);
export type ChannelSpec = Static<typeof ChannelSpec>;

export const Diagnostic = Type.Object(
  {
    file: Type.String(),
    severity: Type.Enum(["error", "warning", "info", "hint"]),
    message: Type.String(),
    path: Type.String(),
    line: Type.Optional(Type.Integer()),
    column: Type.Optional(Type.Integer()),
    code: Type.String(),
  },
  strict,
);
export type Diagnostic = Static<typeof Diagnostic>;

export const LoadedDocumentInfo = Type.Object(
  {
    file: Type.String(),
    title: Type.String(),
    version: Type.String(),
    asyncapiVersion: Type.String(),
    hash: Type.String(),
    channels: Type.Array(Type.String()),
    ok: Type.Boolean(),
  },
  strict,
);
export type LoadedDocumentInfo = Static<typeof LoadedDocumentInfo>;

export const ContractsQuery = Type.Object(
  {
    from: Type.Optional(Instant("Start of the coverage window")),
    to: Type.Optional(Instant("End of the window")),
  },
  strict,
);
export type ContractsQuery = Static<typeof ContractsQuery>;

/** What is in force versus what the files say (issue 9: enforcement fails closed). */
export const GovernanceStatus = Type.Object(
  {
    ok: Type.Boolean({ description: "false while a channel is held or the newest reload of a part failed" }),
    held: Type.Array(
      Type.Object(
        {
          channel: Type.String(),
          leaves: Type.Array(Type.String()),
          reason: Type.String(),
        },
        strict,
      ),
      { description: "Channels tree leaves use that a reload lost; their last good version stays in force" },
    ),
    failedReloads: Type.Array(
      Type.Object(
        { part: Type.Enum(["contracts", "topics"]), at: Type.String(), message: Type.String() },
        strict,
      ),
    ),
  },
  strict,
);
export type GovernanceStatus = Static<typeof GovernanceStatus>;

export const ContractsResponse = Type.Object(
  {
    version: Type.String(),
    loadedAt: Type.String(),
    documents: Type.Array(LoadedDocumentInfo),
    channels: Type.Array(ChannelSpec),
    diagnostics: Type.Array(Diagnostic),
    reloads: Type.Array(
      Type.Object(
        {
          at: Type.String(),
          part: Type.Enum(["contracts", "topics"]),
          ok: Type.Boolean(),
          applied: Type.Boolean({ description: "The new version took effect (possibly with held channels)" }),
          message: Type.String(),
          diagnostics: Type.Array(Diagnostic),
        },
        strict,
      ),
    ),
    status: GovernanceStatus,
    coverage: Type.Object(
      {
        ungovernedTopics: Type.Array(
          Type.Object(
            { topic: Type.String(), messages: Type.Integer(), lastSeen: Nullable(Type.String()) },
            strict,
          ),
        ),
      },
      strict,
    ),
  },
  strict,
);
export type ContractsResponse = Static<typeof ContractsResponse>;

export const ContractFileParams = Type.Object({ file: Text(256, "File name under asyncapi/") }, strict);
export const ContractDocument = Type.Object(
  {
    file: Type.String(),
    title: Type.String(),
    version: Type.String(),
    asyncapiVersion: Type.String(),
    hash: Type.String(),
    text: Type.String({ description: "The source text" }),
    channels: Type.Array(Type.String()),
    ok: Type.Boolean(),
  },
  strict,
);
export type ContractDocument = Static<typeof ContractDocument>;

export const LeafDescription = Type.Object(
  {
    name: Type.String(),
    filter: Type.String(),
    channel: Nullable(Type.String()),
    policy: Policy,
    description: Type.Optional(Type.String()),
    leafSet: Type.Optional(Type.String()),
  },
  strict,
);
export type LeafDescription = Static<typeof LeafDescription>;

// The tree is recursive; its schema checks one level and leaves `children` open, and the type
// below says what they hold (a recursive `$ref` costs every consumer of the OpenAPI document).
const TreeNodeSchema = Type.Object(
  {
    key: Type.String(),
    level: Type.String(),
    kind: Type.Enum(["literal", "variable"]),
    pattern: Type.Optional(Type.String()),
    enum: Type.Optional(Type.Array(Type.String())),
    policy: Policy,
    description: Type.Optional(Type.String()),
    filter: Type.String(),
    children: Type.Array(Type.Unknown({ description: "Nodes of the same shape" })),
    leaves: Type.Array(LeafDescription),
  },
  strict,
);
export type TreeNodeDescription = Omit<Static<typeof TreeNodeSchema>, "children"> & {
  children: TreeNodeDescription[];
};
export const TreeNodeDescription = Type.Unsafe<TreeNodeDescription>(TreeNodeSchema);

export const TreeDescription = Type.Object(
  {
    file: Type.String(),
    naming: Type.Object(
      { maxDepth: Type.Integer(), maxLength: Type.Integer(), level: Type.String() },
      strict,
    ),
    outside: Type.Enum(["deny", "allow"]),
    policy: Policy,
    children: Type.Array(TreeNodeDescription),
  },
  strict,
);
export type TreeDescription = Static<typeof TreeDescription>;

export const TopicsQuery = Type.Object(
  {
    from: Type.Optional(Instant("Start of the window")),
    to: Type.Optional(Instant("End of the window")),
    topicPrefix: Type.Optional(Text(1024, "Topic subtree (plain prefix)")),
  },
  strict,
);
export type TopicsQuery = Static<typeof TopicsQuery>;

export const TopicRow = Type.Object(
  { ...countFields, topic: Type.String(), lastMessageAt: Nullable(Type.String()) },
  strict,
);
export type TopicRow = Static<typeof TopicRow>;

export const TopicsResponse = Type.Object(
  {
    ...windowFields,
    tree: TreeDescription,
    leaves: Type.Array(
      Type.Object(
        { filter: Type.String(), leaf: Type.String(), channel: Nullable(Type.String()), policy: Policy },
        strict,
      ),
    ),
    topics: Type.Array(TopicRow),
  },
  strict,
);
export type TopicsResponse = Static<typeof TopicsResponse>;

export const LastMessageQuery = Type.Object(
  { topic: Type.String({ minLength: 1, maxLength: 1024, pattern: "^[^\\x00]*$" }) },
  strict,
);
export type LastMessageQuery = Static<typeof LastMessageQuery>;
export const LastMessage = Type.Object(
  {
    topic: Type.String(),
    time: Type.String(),
    clientId: Type.String(),
    outcome: Type.String(),
    channel: Nullable(Type.String()),
    payloadSize: Type.Integer(),
    payloadTruncated: Type.Boolean(),
    payloadBase64: Type.String(),
    payloadText: Type.Optional(Type.String()),
  },
  strict,
);
export type LastMessage = Static<typeof LastMessage>;

export const UsersResponse = Type.Object(
  { users: Type.Array(Type.Object({ username: Type.String(), roles: Type.Array(Type.String()) }, strict)) },
  strict,
);
export type UsersResponse = Static<typeof UsersResponse>;
