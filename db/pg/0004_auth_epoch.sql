-- The auth epoch, as SQLite's migration 0006 has it: one counter that every change able to take access away bumps,
-- by trigger, whichever node or connection makes it. Each node caches API key rows and session ownership in memory
-- and reads this one row per request: a moved counter drops its caches, so a key revoked, expired early, re-scoped
-- or deleted, an organisation or a session deleted fails on the very next request on every node. Row triggers (not
-- statement triggers) so that, as in SQLite, a statement touching no row does not move the counter; `UPDATE OF`
-- fires when the column is assigned, changed or not, as SQLite's does. Not in the drizzle schema: nothing but the
-- triggers writes it and only the auth cache reads it.
CREATE TABLE "auth_epoch" ("id" integer PRIMARY KEY NOT NULL CHECK ("id" = 1), "n" bigint NOT NULL);--> statement-breakpoint
INSERT INTO "auth_epoch" ("id", "n") VALUES (1, 0);--> statement-breakpoint
CREATE FUNCTION "auth_epoch_bump"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "auth_epoch" SET "n" = "n" + 1 WHERE "id" = 1;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "auth_epoch_api_keys_update" AFTER UPDATE OF "org_id", "prefix", "hash", "capabilities", "expires_at", "revoked_at" ON "api_keys"
FOR EACH ROW EXECUTE FUNCTION "auth_epoch_bump"();--> statement-breakpoint
CREATE TRIGGER "auth_epoch_api_keys_delete" AFTER DELETE ON "api_keys"
FOR EACH ROW EXECUTE FUNCTION "auth_epoch_bump"();--> statement-breakpoint
CREATE TRIGGER "auth_epoch_orgs_update" AFTER UPDATE OF "id" ON "orgs"
FOR EACH ROW EXECUTE FUNCTION "auth_epoch_bump"();--> statement-breakpoint
CREATE TRIGGER "auth_epoch_orgs_delete" AFTER DELETE ON "orgs"
FOR EACH ROW EXECUTE FUNCTION "auth_epoch_bump"();--> statement-breakpoint
CREATE TRIGGER "auth_epoch_sessions_update" AFTER UPDATE OF "id", "org_id" ON "sessions"
FOR EACH ROW EXECUTE FUNCTION "auth_epoch_bump"();--> statement-breakpoint
CREATE TRIGGER "auth_epoch_sessions_delete" AFTER DELETE ON "sessions"
FOR EACH ROW EXECUTE FUNCTION "auth_epoch_bump"();
