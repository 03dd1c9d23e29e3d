CREATE TABLE "manager_files" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"file_path" text NOT NULL,
	"file_type" text NOT NULL,
	"benchmark_type" text DEFAULT '' NOT NULL,
	"content" text NOT NULL,
	"sha" text NOT NULL,
	"last_modified" timestamp with time zone DEFAULT now() NOT NULL,
	"synced_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "manager_modified_files" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"original_file_id" text,
	"file_path" text NOT NULL,
	"file_type" text NOT NULL,
	"content" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"modified_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "manager_projects" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"project_type" text DEFAULT 'benchmark' NOT NULL,
	"repo_url" text DEFAULT '' NOT NULL,
	"token_enc" text,
	"config_folder" text DEFAULT 'config' NOT NULL,
	"job_folder" text DEFAULT 'job' NOT NULL,
	"vllm_values_path" text DEFAULT '' NOT NULL,
	"branch" text,
	"polling_interval" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_sync" timestamp with time zone,
	"last_sync_status" text,
	"last_sync_error" text,
	"last_commit" text,
	"etag" text,
	"next_sync_at" timestamp with time zone,
	"lease_until" timestamp with time zone,
	"lease_owner" text
);
--> statement-breakpoint
CREATE TABLE "manager_sync_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"trigger" text NOT NULL,
	"instance" text NOT NULL,
	"status" text NOT NULL,
	"message" text DEFAULT '' NOT NULL,
	"new_files" integer DEFAULT 0 NOT NULL,
	"updated_files" integer DEFAULT 0 NOT NULL,
	"deleted_files" integer DEFAULT 0 NOT NULL,
	"synced_files" integer DEFAULT 0 NOT NULL,
	"commit" text,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "manager_files" ADD CONSTRAINT "manager_files_project_id_manager_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."manager_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "manager_modified_files" ADD CONSTRAINT "manager_modified_files_project_id_manager_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."manager_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "manager_sync_runs" ADD CONSTRAINT "manager_sync_runs_project_id_manager_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."manager_projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "manager_files_project_path_uq" ON "manager_files" USING btree ("project_id","file_path");--> statement-breakpoint
CREATE INDEX "manager_files_type_idx" ON "manager_files" USING btree ("project_id","file_type");--> statement-breakpoint
CREATE INDEX "manager_modified_project_idx" ON "manager_modified_files" USING btree ("project_id","file_path");--> statement-breakpoint
CREATE INDEX "manager_projects_due_idx" ON "manager_projects" USING btree ("next_sync_at") WHERE "manager_projects"."polling_interval" > 0;--> statement-breakpoint
CREATE INDEX "manager_sync_runs_project_idx" ON "manager_sync_runs" USING btree ("project_id","started_at");