-- As SQLite's migration 0008: group members keep the order they were stored in (`position`, set once, one past the
-- group's last). PostgreSQL listed them by ctid, which moves when a row is updated (an admin change); existing
-- members are numbered in their current ctid order, the best record of their storing order there is.
ALTER TABLE "group_participants" ADD COLUMN "position" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE "group_participants" p SET "position" = o.n FROM (
  SELECT ctid AS c, row_number() OVER (PARTITION BY session_id, group_jid ORDER BY ctid) AS n FROM "group_participants"
) o WHERE p.ctid = o.c;--> statement-breakpoint
CREATE INDEX "group_participants_position" ON "group_participants" USING btree ("session_id","group_jid","position");
