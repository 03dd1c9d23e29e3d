CREATE TABLE "results_list_versions" (
	"name" text PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
INSERT INTO "results_list_versions" ("name", "version") VALUES ('raw', 0), ('standardized', 0);--> statement-breakpoint
-- Any change to a collection bumps its list version (a cached GET /raw_input or /standardized_output page is served
-- while it is current). Statement level; a statement that changed no row (an idempotent re-post's ON CONFLICT DO
-- NOTHING) bumps nothing. Writers serialise on the version row until they commit: a post touches raw before
-- standardized, always in that order.
CREATE FUNCTION results_bump_list_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- separate branches: each names the one transition table its trigger has (a statement is planned when reached)
  IF TG_OP = 'DELETE' THEN
    IF EXISTS (SELECT 1 FROM old_rows) THEN
      UPDATE results_list_versions SET version = version + 1 WHERE name = TG_ARGV[0];
    END IF;
  ELSIF EXISTS (SELECT 1 FROM new_rows) THEN
    UPDATE results_list_versions SET version = version + 1 WHERE name = TG_ARGV[0];
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER results_raw_ins AFTER INSERT ON results_raw REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION results_bump_list_version('raw');--> statement-breakpoint
CREATE TRIGGER results_raw_upd AFTER UPDATE ON results_raw REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION results_bump_list_version('raw');--> statement-breakpoint
CREATE TRIGGER results_raw_del AFTER DELETE ON results_raw REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION results_bump_list_version('raw');--> statement-breakpoint
CREATE TRIGGER results_std_ins AFTER INSERT ON results_standardized REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION results_bump_list_version('standardized');--> statement-breakpoint
CREATE TRIGGER results_std_upd AFTER UPDATE ON results_standardized REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION results_bump_list_version('standardized');--> statement-breakpoint
CREATE TRIGGER results_std_del AFTER DELETE ON results_standardized REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION results_bump_list_version('standardized');
