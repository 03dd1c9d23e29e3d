-- Every write to a list table bumps its version in the same transaction; list responses are cached per version.
INSERT INTO "vllm_list_versions" ("name", "version") VALUES ('vllm_deployments', 0), ('vllm_queue', 0) ON CONFLICT DO NOTHING;--> statement-breakpoint
CREATE OR REPLACE FUNCTION "vllm_bump_list_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "vllm_list_versions" SET "version" = "version" + 1 WHERE "name" = TG_ARGV[0];
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "vllm_deployments_list_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "vllm_deployments" FOR EACH STATEMENT EXECUTE FUNCTION "vllm_bump_list_version"('vllm_deployments');--> statement-breakpoint
CREATE TRIGGER "vllm_queue_list_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "vllm_queue" FOR EACH STATEMENT EXECUTE FUNCTION "vllm_bump_list_version"('vllm_queue');
