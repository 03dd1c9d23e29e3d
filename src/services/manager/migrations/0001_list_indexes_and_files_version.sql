ALTER TABLE "manager_projects" ADD COLUMN "files_version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "manager_projects_list_idx" ON "manager_projects" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "manager_projects_name_idx" ON "manager_projects" USING btree ("name");--> statement-breakpoint
-- Every change to a project's originals or modified copies bumps its files_version, whatever code path (or cascade)
-- made it, so a cached file list keyed on the version is never served after a change. Statement-level, so a sync
-- that writes 1,000 rows bumps once.
CREATE FUNCTION manager_bump_files_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE manager_projects SET files_version = files_version + 1 WHERE id IN (SELECT project_id FROM new_rows);
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE manager_projects SET files_version = files_version + 1 WHERE id IN (SELECT project_id FROM old_rows);
  ELSE
    UPDATE manager_projects SET files_version = files_version + 1
     WHERE id IN (SELECT project_id FROM new_rows UNION SELECT project_id FROM old_rows);
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER manager_files_ins AFTER INSERT ON manager_files REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION manager_bump_files_version();--> statement-breakpoint
CREATE TRIGGER manager_files_upd AFTER UPDATE ON manager_files REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION manager_bump_files_version();--> statement-breakpoint
CREATE TRIGGER manager_files_del AFTER DELETE ON manager_files REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION manager_bump_files_version();--> statement-breakpoint
CREATE TRIGGER manager_modified_ins AFTER INSERT ON manager_modified_files REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION manager_bump_files_version();--> statement-breakpoint
CREATE TRIGGER manager_modified_upd AFTER UPDATE ON manager_modified_files REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION manager_bump_files_version();--> statement-breakpoint
CREATE TRIGGER manager_modified_del AFTER DELETE ON manager_modified_files REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION manager_bump_files_version();
