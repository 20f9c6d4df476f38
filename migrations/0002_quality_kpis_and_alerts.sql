CREATE TABLE "alert_actions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"alert_id" bigint NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"from_state" text,
	"to_state" text NOT NULL,
	"comment" text,
	"details" jsonb
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"rule_id" text NOT NULL,
	"source" text NOT NULL,
	"origin" text NOT NULL,
	"line" text,
	"severity" text NOT NULL,
	"title" text NOT NULL,
	"message" text NOT NULL,
	"state" text NOT NULL,
	"value" double precision,
	"threshold" double precision,
	"raised_at" timestamp with time zone NOT NULL,
	"acked_at" timestamp with time zone,
	"acked_by" text,
	"returned_at" timestamp with time zone,
	"cleared_at" timestamp with time zone,
	"cleared_by" text,
	"assignee" text,
	"shelved_until" timestamp with time zone,
	"suppressed" integer DEFAULT 0 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "body_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"body_id" text NOT NULL,
	"line" text NOT NULL,
	"cell" text DEFAULT '' NOT NULL,
	"kind" text NOT NULL,
	"ref" text NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kpi_cell_minutes" (
	"line" text NOT NULL,
	"cell" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"scored" bigint DEFAULT 0 NOT NULL,
	"nok" bigint DEFAULT 0 NOT NULL,
	"suspect" bigint DEFAULT 0 NOT NULL,
	"anomalies" bigint DEFAULT 0 NOT NULL,
	"diameter_sum" double precision DEFAULT 0 NOT NULL,
	"below_limit" bigint DEFAULT 0 NOT NULL,
	"welded" bigint DEFAULT 0 NOT NULL,
	"expulsions" bigint DEFAULT 0 NOT NULL,
	"wear_sum" double precision DEFAULT 0 NOT NULL,
	"wear_count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "kpi_cell_minutes_pk" PRIMARY KEY("line","cell","minute")
);
--> statement-breakpoint
CREATE TABLE "kpi_line_hours" (
	"line" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"running_ms" bigint DEFAULT 0 NOT NULL,
	"stopped_ms" bigint DEFAULT 0 NOT NULL,
	"starved_ms" bigint DEFAULT 0 NOT NULL,
	"blocked_ms" bigint DEFAULT 0 NOT NULL,
	"planned_stop_ms" bigint DEFAULT 0 NOT NULL,
	"unknown_ms" bigint DEFAULT 0 NOT NULL,
	"produced" bigint DEFAULT 0 NOT NULL,
	"good" bigint DEFAULT 0 NOT NULL,
	"bad" bigint DEFAULT 0 NOT NULL,
	"ideal_ms" bigint DEFAULT 0 NOT NULL,
	"counter_resets" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "kpi_line_hours_pk" PRIMARY KEY("line","hour")
);
--> statement-breakpoint
CREATE TABLE "kpi_line_minutes" (
	"line" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"shift" text DEFAULT '' NOT NULL,
	"running_ms" bigint DEFAULT 0 NOT NULL,
	"stopped_ms" bigint DEFAULT 0 NOT NULL,
	"starved_ms" bigint DEFAULT 0 NOT NULL,
	"blocked_ms" bigint DEFAULT 0 NOT NULL,
	"planned_stop_ms" bigint DEFAULT 0 NOT NULL,
	"unknown_ms" bigint DEFAULT 0 NOT NULL,
	"produced" bigint DEFAULT 0 NOT NULL,
	"good" bigint DEFAULT 0 NOT NULL,
	"bad" bigint DEFAULT 0 NOT NULL,
	"ideal_ms" bigint DEFAULT 0 NOT NULL,
	"counter_resets" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "kpi_line_minutes_pk" PRIMARY KEY("line","minute")
);
--> statement-breakpoint
CREATE TABLE "line_states" (
	"line" text NOT NULL,
	"since" timestamp with time zone NOT NULL,
	"state" text NOT NULL,
	"reason" text,
	CONSTRAINT "line_states_pk" PRIMARY KEY("line","since")
);
--> statement-breakpoint
CREATE TABLE "quality_tallies" (
	"line" text NOT NULL,
	"cell" text DEFAULT '' NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"source" text DEFAULT '' NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "quality_tallies_pk" PRIMARY KEY("line","kind","name","source","cell","minute")
);
--> statement-breakpoint
CREATE INDEX "alert_actions_alert_idx" ON "alert_actions" USING btree ("alert_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_open_rule_source_uq" ON "alerts" USING btree ("rule_id","source") WHERE cleared_at is null;--> statement-breakpoint
CREATE INDEX "alerts_raised_idx" ON "alerts" USING btree ("raised_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "alerts_state_idx" ON "alerts" USING btree ("state");--> statement-breakpoint
CREATE INDEX "body_events_body_idx" ON "body_events" USING btree ("body_id","time");--> statement-breakpoint
CREATE INDEX "body_events_line_kind_time_idx" ON "body_events" USING btree ("line","kind","time" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "kpi_cell_minutes_minute_idx" ON "kpi_cell_minutes" USING btree ("minute");--> statement-breakpoint
CREATE INDEX "kpi_line_hours_hour_idx" ON "kpi_line_hours" USING btree ("hour");--> statement-breakpoint
CREATE INDEX "kpi_line_minutes_minute_idx" ON "kpi_line_minutes" USING btree ("minute");--> statement-breakpoint
CREATE INDEX "quality_tallies_minute_idx" ON "quality_tallies" USING btree ("minute");