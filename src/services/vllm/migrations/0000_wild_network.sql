CREATE TABLE "vllm_clusters" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"kubeconfig_enc" text NOT NULL,
	"context" text,
	"namespace" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vllm_clusters_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "vllm_deployments" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"cluster_id" text NOT NULL,
	"backend" text NOT NULL,
	"namespace" text NOT NULL,
	"status" text NOT NULL,
	"config" jsonb NOT NULL,
	"fingerprint" text NOT NULL,
	"resources" jsonb NOT NULL,
	"priority_rank" integer DEFAULT 2 NOT NULL,
	"node_name" text,
	"service_name" text,
	"endpoint" text,
	"pid" integer,
	"owner_request_id" text,
	"keep" boolean DEFAULT false NOT NULL,
	"placement" jsonb,
	"error_message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vllm_queue" (
	"id" text PRIMARY KEY NOT NULL,
	"priority" text NOT NULL,
	"priority_rank" integer NOT NULL,
	"status" text NOT NULL,
	"vllm_config" jsonb,
	"benchmark_configs" jsonb NOT NULL,
	"scheduling_config" jsonb NOT NULL,
	"skip_vllm_creation" boolean DEFAULT false NOT NULL,
	"helm_deployment" boolean DEFAULT false NOT NULL,
	"helm_config" jsonb,
	"cluster_id" text DEFAULT 'local' NOT NULL,
	"allow_eviction" boolean DEFAULT false NOT NULL,
	"keep_deployment" boolean DEFAULT false NOT NULL,
	"target_deployment_id" text,
	"placement" jsonb,
	"current_step" text DEFAULT 'pending' NOT NULL,
	"total_steps" integer DEFAULT 0 NOT NULL,
	"completed_steps" integer DEFAULT 0 NOT NULL,
	"deployment_id" text,
	"created_deployment" boolean DEFAULT false NOT NULL,
	"jobs" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"result_pks" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"error_message" text,
	"not_before" timestamp with time zone,
	"deadline" timestamp with time zone,
	"claimed_by" text,
	"lease_until" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"cleanup_pending" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vllm_scheduler" (
	"id" text PRIMARY KEY NOT NULL,
	"running" boolean NOT NULL,
	"poll_interval" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "vllm_deployments_status_idx" ON "vllm_deployments" USING btree ("status");--> statement-breakpoint
CREATE INDEX "vllm_deployments_fp_idx" ON "vllm_deployments" USING btree ("fingerprint");--> statement-breakpoint
CREATE INDEX "vllm_queue_claim_idx" ON "vllm_queue" USING btree ("status","priority_rank","created_at");--> statement-breakpoint
CREATE INDEX "vllm_queue_lease_idx" ON "vllm_queue" USING btree ("status","lease_until");