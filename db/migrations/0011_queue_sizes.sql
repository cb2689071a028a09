-- The send queue's size per session, kept by trigger: the API refuses an operation with 429 when a session's queue is
-- full (--send-queue-max), and counting the queue's rows on every accept cost time in proportion to the queue (about
-- 55 µs at 2,000 queued, so seconds of every minute for a queue of 100,000). One row per session that ever queued
-- anything; the triggers keep it exact whoever inserts or deletes (the API, the sender, a session's deletion
-- cascading to its queue). Not in the drizzle schema: nothing but the triggers writes it.
CREATE TABLE `outbound_queue_sizes` (
	`session_id` text PRIMARY KEY NOT NULL,
	`n` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);--> statement-breakpoint
INSERT INTO `outbound_queue_sizes` (`session_id`, `n`) SELECT `session_id`, count(*) FROM `outbound_queue` GROUP BY `session_id`;--> statement-breakpoint
CREATE TRIGGER `outbound_queue_sizes_insert` AFTER INSERT ON `outbound_queue`
BEGIN
  INSERT OR IGNORE INTO `outbound_queue_sizes` (`session_id`, `n`) VALUES (NEW.`session_id`, 0);
  UPDATE `outbound_queue_sizes` SET `n` = `n` + 1 WHERE `session_id` = NEW.`session_id`;
END;--> statement-breakpoint
CREATE TRIGGER `outbound_queue_sizes_delete` AFTER DELETE ON `outbound_queue`
BEGIN UPDATE `outbound_queue_sizes` SET `n` = `n` - 1 WHERE `session_id` = OLD.`session_id`; END;
