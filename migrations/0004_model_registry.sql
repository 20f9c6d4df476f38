CREATE TABLE "model_deployments" (
	"name" text PRIMARY KEY NOT NULL,
	"live" text,
	"canary" text,
	"canary_share" double precision,
	"shadow" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"change_id" text NOT NULL,
	"name" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"action" text NOT NULL,
	"version" text,
	"previous" text,
	"reason" text NOT NULL,
	"by" text NOT NULL,
	CONSTRAINT "model_history_change_uq" UNIQUE("change_id")
);
--> statement-breakpoint
CREATE TABLE "model_versions" (
	"name" text NOT NULL,
	"version" text NOT NULL,
	"sha256" text NOT NULL,
	"kind" text NOT NULL,
	"manifest_path" text NOT NULL,
	"manifest" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"metrics" jsonb,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "model_versions_pk" PRIMARY KEY("name","version")
);
--> statement-breakpoint
CREATE INDEX "model_history_name_idx" ON "model_history" USING btree ("name","id");