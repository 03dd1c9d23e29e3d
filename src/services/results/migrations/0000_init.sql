CREATE TABLE "results_latest_series" (
	"family" text NOT NULL,
	"group" text NOT NULL,
	"model_id" text NOT NULL,
	"task" text NOT NULL,
	"stat" text NOT NULL,
	"value" double precision NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"pk" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "results_latest_series_family_model_id_task_stat_pk" PRIMARY KEY("family","model_id","task","stat")
);
--> statement-breakpoint
CREATE TABLE "results_metric_values" (
	"pk" text NOT NULL,
	"path" text NOT NULL,
	"group" text NOT NULL,
	"task" text NOT NULL,
	"metric" text NOT NULL,
	"stat" text NOT NULL,
	"value" double precision NOT NULL,
	"model_id" text NOT NULL,
	"benchmark_name" text NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	CONSTRAINT "results_metric_values_pk_path_pk" PRIMARY KEY("pk","path")
);
--> statement-breakpoint
CREATE TABLE "results_raw" (
	"pk" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"benchmark_name" text NOT NULL,
	"model_id" text NOT NULL,
	"tokenizer_id" text NOT NULL,
	"source" text NOT NULL,
	"timestamp" text NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"data" jsonb NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "results_standardized" (
	"pk" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"benchmark_name" text NOT NULL,
	"model_id" text NOT NULL,
	"tokenizer_id" text NOT NULL,
	"source" text NOT NULL,
	"timestamp" text NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"data" jsonb NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"derived" boolean DEFAULT false NOT NULL,
	"parser" text
);
--> statement-breakpoint
ALTER TABLE "results_metric_values" ADD CONSTRAINT "results_metric_values_pk_results_standardized_pk_fk" FOREIGN KEY ("pk") REFERENCES "public"."results_standardized"("pk") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "results_latest_pk_idx" ON "results_latest_series" USING btree ("pk");--> statement-breakpoint
CREATE INDEX "results_mv_history_idx" ON "results_metric_values" USING btree ("model_id","path","ts");--> statement-breakpoint
CREATE INDEX "results_mv_metric_idx" ON "results_metric_values" USING btree ("model_id","metric","ts");--> statement-breakpoint
CREATE INDEX "results_raw_ts_idx" ON "results_raw" USING btree ("ts" DESC NULLS LAST,"pk" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "results_raw_model_idx" ON "results_raw" USING btree ("model_id","ts" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "results_raw_bench_idx" ON "results_raw" USING btree ("benchmark_name","ts" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "results_raw_run_idx" ON "results_raw" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "results_std_ts_idx" ON "results_standardized" USING btree ("ts" DESC NULLS LAST,"pk" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "results_std_model_idx" ON "results_standardized" USING btree ("model_id","ts" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "results_std_bench_idx" ON "results_standardized" USING btree ("benchmark_name","ts" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "results_std_run_idx" ON "results_standardized" USING btree ("run_id");