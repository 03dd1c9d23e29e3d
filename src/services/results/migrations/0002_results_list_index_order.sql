DROP INDEX "results_raw_ts_idx";--> statement-breakpoint
DROP INDEX "results_raw_model_ts_pk_idx";--> statement-breakpoint
DROP INDEX "results_raw_bench_ts_pk_idx";--> statement-breakpoint
DROP INDEX "results_raw_source_ts_pk_idx";--> statement-breakpoint
DROP INDEX "results_std_ts_idx";--> statement-breakpoint
DROP INDEX "results_std_model_ts_pk_idx";--> statement-breakpoint
DROP INDEX "results_std_bench_ts_pk_idx";--> statement-breakpoint
DROP INDEX "results_std_source_ts_pk_idx";--> statement-breakpoint
CREATE INDEX "results_raw_ts_pk_idx" ON "results_raw" USING btree ("ts","pk");--> statement-breakpoint
CREATE INDEX "results_raw_model_ts_pk_asc_idx" ON "results_raw" USING btree ("model_id","ts","pk");--> statement-breakpoint
CREATE INDEX "results_raw_bench_ts_pk_asc_idx" ON "results_raw" USING btree ("benchmark_name","ts","pk");--> statement-breakpoint
CREATE INDEX "results_raw_source_ts_pk_asc_idx" ON "results_raw" USING btree ("source","ts","pk");--> statement-breakpoint
CREATE INDEX "results_std_ts_pk_idx" ON "results_standardized" USING btree ("ts","pk");--> statement-breakpoint
CREATE INDEX "results_std_model_ts_pk_asc_idx" ON "results_standardized" USING btree ("model_id","ts","pk");--> statement-breakpoint
CREATE INDEX "results_std_bench_ts_pk_asc_idx" ON "results_standardized" USING btree ("benchmark_name","ts","pk");--> statement-breakpoint
CREATE INDEX "results_std_source_ts_pk_asc_idx" ON "results_standardized" USING btree ("source","ts","pk");