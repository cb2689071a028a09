CREATE TABLE `media_files` (
	`sha256` text PRIMARY KEY NOT NULL,
	`size` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `media_refs` (
	`sha256` text NOT NULL,
	`session_id` text NOT NULL,
	`owner` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`session_id`, `owner`, `sha256`),
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `media_refs_sha` ON `media_refs` (`sha256`);--> statement-breakpoint
CREATE INDEX `media_refs_created` ON `media_refs` (`created_at`);--> statement-breakpoint
CREATE TABLE `media_uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`sha256` text NOT NULL,
	`mimetype` text NOT NULL,
	`size` integer NOT NULL,
	`filename` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `media_uploads_session` ON `media_uploads` (`session_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `message_media` (
	`message_pk` integer PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`kind` text NOT NULL,
	`media_key` blob,
	`direct_path` text,
	`url` text,
	`file_sha256` text,
	`file_enc_sha256` text,
	`size` integer,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer DEFAULT 0 NOT NULL,
	`error` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`message_pk`) REFERENCES `messages`(`pk`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `message_media_due` ON `message_media` (`session_id`,`next_attempt_at`) WHERE status = 'pending';--> statement-breakpoint
CREATE TABLE `poll_votes` (
	`message_pk` integer NOT NULL,
	`voter` text NOT NULL,
	`options` text NOT NULL,
	`timestamp` integer NOT NULL,
	PRIMARY KEY(`message_pk`, `voter`),
	FOREIGN KEY (`message_pk`) REFERENCES `polls`(`message_pk`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `polls` (
	`message_pk` integer PRIMARY KEY NOT NULL,
	`secret` blob,
	`options` text NOT NULL,
	FOREIGN KEY (`message_pk`) REFERENCES `messages`(`pk`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `messages` ADD `location` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `contacts` text;--> statement-breakpoint
ALTER TABLE `messages` ADD `poll` text;