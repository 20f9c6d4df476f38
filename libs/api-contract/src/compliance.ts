import { type Static, Type } from "typebox";
import { Counts, countFields, FilterQuery, Limit, Nullable, WindowQuery, windowFields } from "./common.js";

/** Schemas of the compliance operations: totals, summaries, trend and the failing-clients list. */

const strict = { additionalProperties: false } as const;

export const TotalsQuery = Type.Object({ ...WindowQuery, ...FilterQuery }, strict);
export type TotalsQuery = Static<typeof TotalsQuery>;
export const TotalsResponse = Type.Object({ ...windowFields, ...countFields, live: Counts }, strict);
export type TotalsResponse = Static<typeof TotalsResponse>;

export const SummaryBy = Type.Enum(["channel", "topic", "publisher", "level"]);
export type SummaryBy = Static<typeof SummaryBy>;
export const SummarySort = Type.Enum(["total", "invalid", "complianceRate"], {
  description:
    "Row order: total (most messages first), invalid (most invalid first), complianceRate (lowest first; rows with nothing validated last)",
});
export type SummarySort = Static<typeof SummarySort>;

export const SummaryQuery = Type.Object(
  {
    ...WindowQuery,
    by: SummaryBy,
    depth: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 12,
        description: "For by=level: how many topic levels to group by",
      }),
    ),
    topicPrefix: FilterQuery.topicPrefix,
    channel: FilterQuery.channel,
    sort: Type.Optional(SummarySort),
    limit: Type.Optional(Limit(1000, 100)),
  },
  strict,
);
export type SummaryQuery = Static<typeof SummaryQuery>;

export const SummaryRow = Type.Object(
  {
    ...countFields,
    key: Nullable(
      Type.String({ description: "Channel id, topic, client id or topic prefix; null for no channel" }),
    ),
    complianceRate: Nullable(
      Type.Number({ description: "valid / (valid + invalid); null when nothing was validated" }),
    ),
    nonCompliantSince: Nullable(
      Type.String({
        description:
          "Start (ISO 8601 minute) of the current failing streak, within the window: the first minute of the run of minutes with invalid messages that reaches the latest validated minute. Null when compliant (or not looked up: only the 50 rows with most invalid messages are)",
      }),
    ),
  },
  strict,
);
export type SummaryRow = Static<typeof SummaryRow>;
export const SummaryResponse = Type.Object(
  { ...windowFields, by: SummaryBy, sort: SummarySort, rows: Type.Array(SummaryRow) },
  strict,
);
export type SummaryResponse = Static<typeof SummaryResponse>;

/** At most this many buckets in one trend (the store's own limit). */
export const MAX_BUCKETS = 10_000;

export const TimeseriesQuery = Type.Object(
  {
    ...WindowQuery,
    bucketSeconds: Type.Optional(
      Type.Integer({
        minimum: 60,
        maximum: 86400 * 7,
        multipleOf: 60,
        description: `Bucket width, a multiple of 60 s; at most ${MAX_BUCKETS} buckets per window (default: about 60 buckets)`,
      }),
    ),
    fit: Type.Optional(
      Type.Boolean({
        description:
          "Fit the window to the data: when more than half of it is empty before the first message, start it at most ~0.1 % of the window before that message, with buckets sized for the shorter window (unless bucketSeconds is given). The reply's from is the fitted start",
      }),
    ),
    ...FilterQuery,
  },
  strict,
);
export type TimeseriesQuery = Static<typeof TimeseriesQuery>;
export const TimeseriesPoint = Type.Object(
  {
    t: Type.String({ description: "Bucket start, ISO 8601" }),
    valid: Type.Integer(),
    invalid: Type.Integer(),
    unvalidated: Type.Integer(),
    ungoverned: Type.Integer(),
  },
  strict,
);
export type TimeseriesPoint = Static<typeof TimeseriesPoint>;
export const TimeseriesResponse = Type.Object(
  {
    ...windowFields,
    bucketSeconds: Type.Integer(),
    fitted: Type.Boolean({ description: "Whether from was moved to fit the data (fit=true)" }),
    points: Type.Array(TimeseriesPoint),
  },
  strict,
);
export type TimeseriesResponse = Static<typeof TimeseriesResponse>;

export const PublisherSort = Type.Enum(["invalid", "invalidShare", "lastViolation", "messages"]);
export type PublisherSort = Static<typeof PublisherSort>;
export const PublishersQuery = Type.Object(
  {
    ...WindowQuery,
    topicPrefix: FilterQuery.topicPrefix,
    channel: FilterQuery.channel,
    sort: Type.Optional(PublisherSort),
    limit: Type.Optional(Limit(1000, 100)),
  },
  strict,
);
export type PublishersQuery = Static<typeof PublishersQuery>;
export const PublisherRow = Type.Object(
  {
    clientId: Type.String(),
    username: Nullable(Type.String()),
    messages: Type.Integer({ description: "In the window (and subtree / channel when given)" }),
    invalid: Type.Integer(),
    invalidShare: Type.Number(),
    firstViolation: Nullable(Type.String({ description: "All-time" })),
    lastViolation: Nullable(Type.String({ description: "All-time" })),
    channels: Type.Array(Type.String(), {
      description: "Channels whose contracts this client broke (all-time)",
    }),
    nonCompliantSince: Nullable(
      Type.String({
        description:
          "Start (ISO 8601 minute) of the current failing streak, within the window: the first minute of the run of minutes with invalid messages that reaches the latest validated minute. Null when compliant (or not looked up: only the 50 rows with most invalid messages are)",
      }),
    ),
  },
  strict,
);
export type PublisherRow = Static<typeof PublisherRow>;
export const PublishersResponse = Type.Object({ ...windowFields, rows: Type.Array(PublisherRow) }, strict);
export type PublishersResponse = Static<typeof PublishersResponse>;
