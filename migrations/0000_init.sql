CREATE TABLE "applied_batches" (
	"batch_id" uuid PRIMARY KEY NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contracts" (
	"id" serial PRIMARY KEY NOT NULL,
	"file" text NOT NULL,
	"title" text NOT NULL,
	"version" text NOT NULL,
	"asyncapi_version" text NOT NULL,
	"hash" text NOT NULL,
	"document" text NOT NULL,
	"loaded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "last_messages" (
	"topic" text PRIMARY KEY NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"client_id" text NOT NULL,
	"payload" "bytea" NOT NULL,
	"payload_size" integer NOT NULL,
	"outcome" text NOT NULL,
	"channel" text
);
--> statement-breakpoint
CREATE TABLE "message_counts" (
	"minute" timestamp with time zone NOT NULL,
	"topic" text NOT NULL,
	"channel" text DEFAULT '' NOT NULL,
	"client_id" text NOT NULL,
	"valid" bigint DEFAULT 0 NOT NULL,
	"invalid" bigint DEFAULT 0 NOT NULL,
	"unvalidated" bigint DEFAULT 0 NOT NULL,
	"ungoverned" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "message_counts_pk" PRIMARY KEY("minute","topic","channel","client_id")
);
--> statement-breakpoint
CREATE TABLE "publishers" (
	"client_id" text PRIMARY KEY NOT NULL,
	"username" text,
	"messages" bigint DEFAULT 0 NOT NULL,
	"invalid" bigint DEFAULT 0 NOT NULL,
	"first_violation" timestamp with time zone,
	"last_violation" timestamp with time zone,
	"last_seen" timestamp with time zone NOT NULL,
	"channels" text[] DEFAULT '{}'::text[] NOT NULL
);
--> statement-breakpoint
CREATE TABLE "violations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"time" timestamp with time zone NOT NULL,
	"client_id" text NOT NULL,
	"username" text,
	"topic" text NOT NULL,
	"channel" text,
	"contract_file" text,
	"contract_version" text,
	"message_name" text,
	"kind" text NOT NULL,
	"policy" text NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"payload" "bytea" NOT NULL,
	"payload_size" integer NOT NULL,
	"payload_truncated" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE INDEX "applied_batches_applied_at_idx" ON "applied_batches" USING btree ("applied_at");--> statement-breakpoint
CREATE UNIQUE INDEX "contracts_file_hash_uq" ON "contracts" USING btree ("file","hash");--> statement-breakpoint
CREATE INDEX "message_counts_topic_idx" ON "message_counts" USING btree ("topic" text_pattern_ops,"minute");--> statement-breakpoint
CREATE INDEX "violations_time_idx" ON "violations" USING btree ("time" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "violations_channel_time_idx" ON "violations" USING btree ("channel","time" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "violations_client_time_idx" ON "violations" USING btree ("client_id","time" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "violations_topic_prefix_idx" ON "violations" USING btree ("topic" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "violations_errors_idx" ON "violations" USING gin ("errors" jsonb_path_ops);