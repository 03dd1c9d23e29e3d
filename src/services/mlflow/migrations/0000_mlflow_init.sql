CREATE TABLE "mlflow_events" (
	"id" text PRIMARY KEY NOT NULL,
	"model_name" text NOT NULL,
	"version" text NOT NULL,
	"engine" text NOT NULL,
	"event_type" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"trigger" text NOT NULL,
	"selection" text NOT NULL,
	"mlflow" jsonb NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"outcome" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"warnings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "mlflow_settings" (
	"id" text PRIMARY KEY NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"secrets" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "mlflow_events_key_uq" ON "mlflow_events" USING btree ("model_name","version","engine");--> statement-breakpoint
CREATE INDEX "mlflow_events_due_idx" ON "mlflow_events" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "mlflow_events_created_idx" ON "mlflow_events" USING btree ("created_at","id");