ALTER TABLE "vllm_deployments" ADD COLUMN "secrets_enc" text;--> statement-breakpoint
ALTER TABLE "vllm_queue" ADD COLUMN "secrets_enc" text;--> statement-breakpoint
CREATE INDEX "vllm_deployments_created_idx" ON "vllm_deployments" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "vllm_deployments_cluster_status_idx" ON "vllm_deployments" USING btree ("cluster_id","status");--> statement-breakpoint
CREATE INDEX "vllm_deployments_owner_idx" ON "vllm_deployments" USING btree ("owner_request_id");--> statement-breakpoint
CREATE INDEX "vllm_queue_created_idx" ON "vllm_queue" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "vllm_queue_deployment_idx" ON "vllm_queue" USING btree ("deployment_id","status");