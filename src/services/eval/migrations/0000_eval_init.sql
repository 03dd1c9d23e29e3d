CREATE TABLE "eval_evaluations" (
	"id" text PRIMARY KEY NOT NULL,
	"model_name" text NOT NULL,
	"engine_url" text NOT NULL,
	"template" jsonb NOT NULL,
	"overrides" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"source" jsonb,
	"schedule_id" text,
	"scheduled_for" timestamp with time zone,
	"status" text NOT NULL,
	"stage" text DEFAULT 'readiness' NOT NULL,
	"history" jsonb NOT NULL,
	"ready_deadline" timestamp with time zone NOT NULL,
	"next_check_at" timestamp with time zone,
	"probe_attempts" integer DEFAULT 0 NOT NULL,
	"submit_attempts" integer DEFAULT 0 NOT NULL,
	"last_probe" text,
	"deployment_id" text,
	"job_name" text,
	"job_namespace" text,
	"result_pks" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"warnings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error" text,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "eval_schedules" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"cron" text NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"model_name" text NOT NULL,
	"engine_url" text,
	"template" jsonb,
	"overrides" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"next_run_at" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"last_evaluation_id" text,
	"last_error" text,
	"fired" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "eval_evaluations_created_idx" ON "eval_evaluations" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "eval_evaluations_due_idx" ON "eval_evaluations" USING btree ("status","next_check_at");--> statement-breakpoint
CREATE INDEX "eval_evaluations_model_idx" ON "eval_evaluations" USING btree ("model_name","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "eval_evaluations_tick_uq" ON "eval_evaluations" USING btree ("schedule_id","scheduled_for") WHERE "eval_evaluations"."schedule_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "eval_schedules_name_uq" ON "eval_schedules" USING btree ("name");--> statement-breakpoint
CREATE INDEX "eval_schedules_due_idx" ON "eval_schedules" USING btree ("paused","next_run_at");