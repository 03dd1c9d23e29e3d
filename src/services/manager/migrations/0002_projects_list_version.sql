CREATE TABLE "manager_list_versions" (
	"name" text PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
INSERT INTO "manager_list_versions" ("name", "version") VALUES ('projects', 0);--> statement-breakpoint
-- Any change to manager_projects bumps the projects list version (a cached GET /projects page keys on it). Statement
-- level; a statement that changed no row (a poll finding nothing due) bumps nothing. Writers of projects serialise on
-- this row until they commit: every write path touches one project per transaction, and takes this lock last.
CREATE FUNCTION manager_bump_projects_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- separate branches: each names the one transition table its trigger has (a statement is planned when reached)
  IF TG_OP = 'DELETE' THEN
    IF EXISTS (SELECT 1 FROM old_rows) THEN
      UPDATE manager_list_versions SET version = version + 1 WHERE name = 'projects';
    END IF;
  ELSIF EXISTS (SELECT 1 FROM new_rows) THEN
    UPDATE manager_list_versions SET version = version + 1 WHERE name = 'projects';
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER manager_projects_ins AFTER INSERT ON manager_projects REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION manager_bump_projects_version();--> statement-breakpoint
CREATE TRIGGER manager_projects_upd AFTER UPDATE ON manager_projects REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION manager_bump_projects_version();--> statement-breakpoint
CREATE TRIGGER manager_projects_del AFTER DELETE ON manager_projects REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION manager_bump_projects_version();
