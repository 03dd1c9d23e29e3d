INSERT INTO "deployer_list_versions" ("name", "version") VALUES ('deployer_deployments', 0) ON CONFLICT DO NOTHING;--> statement-breakpoint
-- Any statement that changed a deployment record bumps the list version (a cached GET /deployments page keys on it):
-- inserts, deletes, truncates, and updates that changed more than the status-watch lease (watch_owner/watch_until
-- are not listed, and the watcher renews its leases every tick). Statement level; a statement that changed no row
-- bumps nothing. Writers serialise on the version row until they commit; the one multi-statement transaction
-- (claimWatches) writes it in its last statement, so no writer holds it while waiting for a record's lock.
CREATE FUNCTION deployer_bump_list_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- separate branches: each names only the transition tables its trigger has (a statement is planned when reached)
  IF TG_OP = 'TRUNCATE' THEN
    UPDATE deployer_list_versions SET version = version + 1 WHERE name = 'deployer_deployments';
  ELSIF TG_OP = 'DELETE' THEN
    IF EXISTS (SELECT 1 FROM old_rows) THEN
      UPDATE deployer_list_versions SET version = version + 1 WHERE name = 'deployer_deployments';
    END IF;
  ELSIF TG_OP = 'INSERT' THEN
    IF EXISTS (SELECT 1 FROM new_rows) THEN
      UPDATE deployer_list_versions SET version = version + 1 WHERE name = 'deployer_deployments';
    END IF;
  ELSIF EXISTS (
    SELECT 1 FROM new_rows n JOIN old_rows o ON o.deployment_id = n.deployment_id
    WHERE (to_jsonb(n) - 'watch_owner' - 'watch_until') IS DISTINCT FROM (to_jsonb(o) - 'watch_owner' - 'watch_until')
  ) THEN
    UPDATE deployer_list_versions SET version = version + 1 WHERE name = 'deployer_deployments';
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER deployer_deployments_ins AFTER INSERT ON deployer_deployments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION deployer_bump_list_version();--> statement-breakpoint
CREATE TRIGGER deployer_deployments_upd AFTER UPDATE ON deployer_deployments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION deployer_bump_list_version();--> statement-breakpoint
CREATE TRIGGER deployer_deployments_del AFTER DELETE ON deployer_deployments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION deployer_bump_list_version();--> statement-breakpoint
CREATE TRIGGER deployer_deployments_trunc AFTER TRUNCATE ON deployer_deployments FOR EACH STATEMENT EXECUTE FUNCTION deployer_bump_list_version();
