CREATE TABLE "workflows_calibrations" (
	"model" text NOT NULL,
	"hardware" text NOT NULL,
	"factors" jsonb NOT NULL,
	"fit" jsonb NOT NULL,
	"run_id" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflows_calibrations_model_hardware_pk" PRIMARY KEY("model","hardware")
);
--> statement-breakpoint
CREATE TABLE "workflows_credentials" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"provider" text DEFAULT 'openai-compatible' NOT NULL,
	"secret_enc" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflows_datasets" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"format" text NOT NULL,
	"content" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"rows" integer NOT NULL,
	"lengths" jsonb NOT NULL,
	"stats" jsonb NOT NULL,
	"tokenizer" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflows_models" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"model_name" text NOT NULL,
	"served_model_name" text,
	"endpoint_url" text,
	"api" text DEFAULT 'completions' NOT NULL,
	"credential_id" text,
	"max_model_len" integer,
	"simulator" jsonb,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflows_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"mode" text NOT NULL,
	"status" text NOT NULL,
	"stage" text NOT NULL,
	"plan" jsonb NOT NULL,
	"progress" jsonb,
	"queue_request_id" text,
	"deployment_id" text,
	"endpoint" text,
	"job_deployment_id" text,
	"job_objects" jsonb,
	"result_run_id" text,
	"result_pk" text,
	"metrics" jsonb,
	"comparison" jsonb,
	"error" jsonb,
	"wall_ms" double precision,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "workflows_workflows" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text DEFAULT 'performance' NOT NULL,
	"name" text NOT NULL,
	"total_steps" integer NOT NULL,
	"state" jsonb NOT NULL,
	"steps" jsonb NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workflows_runs" ADD CONSTRAINT "workflows_runs_workflow_id_workflows_workflows_id_fk" FOREIGN KEY ("workflow_id") REFERENCES "public"."workflows_workflows"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "workflows_credentials_name_uq" ON "workflows_credentials" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "workflows_datasets_name_uq" ON "workflows_datasets" USING btree ("name");--> statement-breakpoint
CREATE INDEX "workflows_datasets_created_idx" ON "workflows_datasets" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "workflows_models_name_uq" ON "workflows_models" USING btree ("name");--> statement-breakpoint
CREATE INDEX "workflows_models_created_idx" ON "workflows_models" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "workflows_runs_workflow_idx" ON "workflows_runs" USING btree ("workflow_id","created_at");--> statement-breakpoint
CREATE INDEX "workflows_runs_active_idx" ON "workflows_runs" USING btree ("status","lease_until");--> statement-breakpoint
CREATE INDEX "workflows_created_idx" ON "workflows_workflows" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "workflows_status_created_idx" ON "workflows_workflows" USING btree ("status","created_at","id");