CREATE TABLE "vllm_follow_files" (
	"project_id" text NOT NULL,
	"path" text NOT NULL,
	"content_hash" text NOT NULL,
	"file_id" text,
	"status" text NOT NULL,
	"queue_item_id" text,
	"deployment_id" text,
	"error" text,
	"warnings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"retry_at" timestamp with time zone,
	"heals" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vllm_follow_files_project_id_path_pk" PRIMARY KEY("project_id","path")
);
--> statement-breakpoint
CREATE TABLE "vllm_follows" (
	"project_id" text PRIMARY KEY NOT NULL,
	"cluster_id" text DEFAULT 'local' NOT NULL,
	"priority" text DEFAULT 'medium' NOT NULL,
	"prune" boolean DEFAULT true NOT NULL,
	"self_heal" boolean DEFAULT true NOT NULL,
	"last_tick_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "vllm_deployments" ADD COLUMN "source_project_id" text;--> statement-breakpoint
ALTER TABLE "vllm_deployments" ADD COLUMN "source_path" text;--> statement-breakpoint
ALTER TABLE "vllm_deployments" ADD COLUMN "source_hash" text;--> statement-breakpoint
CREATE INDEX "vllm_deployments_source_idx" ON "vllm_deployments" USING btree ("source_project_id","source_path");