CREATE TABLE "deployer_deployments" (
	"deployment_id" text PRIMARY KEY NOT NULL,
	"resource_type" text NOT NULL,
	"resource_name" text NOT NULL,
	"namespace" text NOT NULL,
	"status" text NOT NULL,
	"message" text DEFAULT '' NOT NULL,
	"yaml_content" text NOT NULL,
	"resources" jsonb NOT NULL,
	"executor" text NOT NULL,
	"origin" text NOT NULL,
	"project_id" text,
	"benchmark_type" text,
	"run_name" text,
	"configmap_name" text,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"start_time" timestamp with time zone,
	"completion_time" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	"watch_owner" text,
	"watch_until" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "deployer_terminal_sessions" (
	"session_id" text PRIMARY KEY NOT NULL,
	"job_name" text NOT NULL,
	"namespace" text NOT NULL,
	"pod_name" text NOT NULL,
	"container_name" text NOT NULL,
	"shell" text NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_activity" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "deployer_deployments_created_idx" ON "deployer_deployments" USING btree ("created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "deployer_deployments_name_idx" ON "deployer_deployments" USING btree ("resource_name","namespace");--> statement-breakpoint
CREATE INDEX "deployer_deployments_status_idx" ON "deployer_deployments" USING btree ("status");--> statement-breakpoint
CREATE INDEX "deployer_deployments_project_idx" ON "deployer_deployments" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "deployer_terminal_sessions_job_idx" ON "deployer_terminal_sessions" USING btree ("job_name");