CREATE TABLE `group_participants` (
	`session_id` text NOT NULL,
	`group_jid` text NOT NULL,
	`jid` text NOT NULL,
	`lid` text,
	`pn` text,
	`admin` text,
	PRIMARY KEY(`session_id`, `group_jid`, `jid`),
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `groups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`jid` text NOT NULL,
	`subject` text,
	`description` text,
	`description_id` text,
	`owner` text,
	`owner_pn` text,
	`wa_created_at` integer,
	`announce` integer DEFAULT false NOT NULL,
	`locked` integer DEFAULT false NOT NULL,
	`ephemeral_seconds` integer DEFAULT 0 NOT NULL,
	`addressing_mode` text,
	`synced_at` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `groups_session_jid` ON `groups` (`session_id`,`jid`);--> statement-breakpoint
CREATE INDEX `groups_list` ON `groups` (`session_id`,`id`);--> statement-breakpoint
ALTER TABLE `contacts` ADD `blocked` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `contacts_list` ON `contacts` (`session_id`,`id`);