-- The send queue's size per session, kept by trigger, as SQLite's migration 0011 has it: the API refuses an operation
-- with 429 when a session's queue is full, and counting the queue's rows on every accept cost time in proportion to
-- the queue. One row per session that ever queued anything; row triggers keep it exact whichever node inserts or
-- deletes (the API, the sender, a session's deletion cascading to its queue). Not in the drizzle schema: nothing but
-- the triggers writes it.
CREATE TABLE "outbound_queue_sizes" (
	"session_id" text PRIMARY KEY NOT NULL REFERENCES "sessions"("id") ON DELETE cascade,
	"n" bigint NOT NULL
);--> statement-breakpoint
INSERT INTO "outbound_queue_sizes" ("session_id", "n") SELECT "session_id", count(*) FROM "outbound_queue" GROUP BY "session_id";--> statement-breakpoint
CREATE FUNCTION "outbound_queue_sizes_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "outbound_queue_sizes" ("session_id", "n") VALUES (NEW."session_id", 1)
  ON CONFLICT ("session_id") DO UPDATE SET "n" = "outbound_queue_sizes"."n" + 1;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE FUNCTION "outbound_queue_sizes_delete"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "outbound_queue_sizes" SET "n" = "n" - 1 WHERE "session_id" = OLD."session_id";
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "outbound_queue_sizes_insert" AFTER INSERT ON "outbound_queue"
FOR EACH ROW EXECUTE FUNCTION "outbound_queue_sizes_insert"();--> statement-breakpoint
CREATE TRIGGER "outbound_queue_sizes_delete" AFTER DELETE ON "outbound_queue"
FOR EACH ROW EXECUTE FUNCTION "outbound_queue_sizes_delete"();
