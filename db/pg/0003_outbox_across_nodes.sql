ALTER TABLE "events" ADD COLUMN "xid" "xid8" DEFAULT pg_current_xact_id() NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "claimed_by" text;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "claimed_until" bigint;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "fanned_out" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "events_org_xid" ON "events" USING btree ("org_id","xid","seq");--> statement-breakpoint
CREATE INDEX "events_xid" ON "events" USING btree ("xid","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_fanout" ON "webhook_deliveries" USING btree ("webhook_id","event_seq") WHERE fanned_out;--> statement-breakpoint
CREATE INDEX "deliveries_claims" ON "webhook_deliveries" USING btree ("webhook_id","claimed_until") WHERE status = 'sending';