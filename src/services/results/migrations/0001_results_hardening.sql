DROP INDEX "results_raw_model_idx";--> statement-breakpoint
DROP INDEX "results_raw_bench_idx";--> statement-breakpoint
DROP INDEX "results_std_model_idx";--> statement-breakpoint
DROP INDEX "results_std_bench_idx";--> statement-breakpoint
ALTER TABLE "results_latest_series" ADD COLUMN "filter" text DEFAULT '' NOT NULL;--> statement-breakpoint
UPDATE "results_latest_series" SET "filter" = 'none' WHERE "group" = 'score';--> statement-breakpoint
ALTER TABLE "results_latest_series" DROP CONSTRAINT "results_latest_series_family_model_id_task_stat_pk";--> statement-breakpoint
ALTER TABLE "results_latest_series" ADD CONSTRAINT "results_latest_series_family_model_id_task_filter_stat_pk" PRIMARY KEY("family","model_id","task","filter","stat");--> statement-breakpoint
ALTER TABLE "results_metric_values" ADD COLUMN "filter" text DEFAULT '' NOT NULL;--> statement-breakpoint
UPDATE "results_metric_values" SET "filter" = 'none' WHERE "group" = 'score';--> statement-breakpoint
ALTER TABLE "results_raw" ADD COLUMN "run_id_generated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "results_raw" ADD COLUMN "timestamp_generated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "results_standardized" ADD COLUMN "run_id_generated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "results_standardized" ADD COLUMN "timestamp_generated" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "results_raw_model_ts_pk_idx" ON "results_raw" USING btree ("model_id","ts" DESC NULLS LAST,"pk" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "results_raw_bench_ts_pk_idx" ON "results_raw" USING btree ("benchmark_name","ts" DESC NULLS LAST,"pk" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "results_raw_source_ts_pk_idx" ON "results_raw" USING btree ("source","ts" DESC NULLS LAST,"pk" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "results_raw_hash_idx" ON "results_raw" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "results_std_model_ts_pk_idx" ON "results_standardized" USING btree ("model_id","ts" DESC NULLS LAST,"pk" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "results_std_bench_ts_pk_idx" ON "results_standardized" USING btree ("benchmark_name","ts" DESC NULLS LAST,"pk" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "results_std_source_ts_pk_idx" ON "results_standardized" USING btree ("source","ts" DESC NULLS LAST,"pk" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "results_std_hash_idx" ON "results_standardized" USING btree ("hash");