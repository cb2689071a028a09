-- Group members keep the order they were stored in: `position` is set once, one past the group's last, and an
-- update never changes it. Existing members take their rowid, the order SQLite listed them in until now.
ALTER TABLE `group_participants` ADD `position` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `group_participants` SET `position` = rowid;--> statement-breakpoint
CREATE INDEX `group_participants_position` ON `group_participants` (`session_id`,`group_jid`,`position`);
