CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`hash` text NOT NULL,
	`capabilities` text NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`expires_at` integer,
	`revoked_at` integer,
	`last_used_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_prefix` ON `api_keys` (`prefix`);--> statement-breakpoint
CREATE INDEX `api_keys_org` ON `api_keys` (`org_id`,`id`);--> statement-breakpoint
CREATE TABLE `auth_state` (
	`session_id` text NOT NULL,
	`type` text NOT NULL,
	`id` text NOT NULL,
	`value` blob NOT NULL,
	PRIMARY KEY(`session_id`, `type`, `id`),
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `channels` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`jid` text NOT NULL,
	`name` text,
	`description` text,
	`role` text,
	`following` integer DEFAULT false NOT NULL,
	`muted` integer DEFAULT false NOT NULL,
	`subscribers` integer,
	`last_post_at` integer,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `channels_session_jid` ON `channels` (`session_id`,`jid`);--> statement-breakpoint
CREATE INDEX `channels_list` ON `channels` (`session_id`,`id`);--> statement-breakpoint
CREATE TABLE `chats` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`jid` text NOT NULL,
	`type` text NOT NULL,
	`name` text,
	`unread_count` integer DEFAULT 0 NOT NULL,
	`archived` integer DEFAULT false NOT NULL,
	`pinned_at` integer DEFAULT 0 NOT NULL,
	`muted_until` integer,
	`last_message_at` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chats_session_jid` ON `chats` (`session_id`,`jid`);--> statement-breakpoint
CREATE INDEX `chats_display` ON `chats` (`session_id`,`pinned_at`,`last_message_at`,`id`);--> statement-breakpoint
CREATE TABLE `contacts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`jid` text,
	`lid` text,
	`name` text,
	`notify` text,
	`verified_name` text,
	`updated_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `contacts_session_jid` ON `contacts` (`session_id`,`jid`) WHERE jid IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `contacts_session_lid` ON `contacts` (`session_id`,`lid`) WHERE lid IS NOT NULL;--> statement-breakpoint
CREATE TABLE `events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`org_id` text NOT NULL,
	`session_id` text,
	`type` text NOT NULL,
	`created_at` integer NOT NULL,
	`data` text NOT NULL,
	`dedupe_key` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_id` ON `events` (`id`);--> statement-breakpoint
CREATE INDEX `events_org_seq` ON `events` (`org_id`,`seq`);--> statement-breakpoint
CREATE INDEX `events_created` ON `events` (`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `events_dedupe` ON `events` (`dedupe_key`) WHERE dedupe_key IS NOT NULL;--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`org_id` text NOT NULL,
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`body_hash` text NOT NULL,
	`status` integer NOT NULL,
	`response` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`org_id`, `scope`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_created` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `messages` (
	`pk` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`chat_jid` text NOT NULL,
	`wa_id` text NOT NULL,
	`server_id` integer,
	`from_me` integer NOT NULL,
	`sender_jid` text,
	`sender_lid` text,
	`sender_name` text,
	`type` text NOT NULL,
	`body` text,
	`media` text,
	`mentions` text DEFAULT '[]' NOT NULL,
	`mention_names` text DEFAULT '{}' NOT NULL,
	`quoted_id` text,
	`status` text NOT NULL,
	`ack_level` integer DEFAULT 0 NOT NULL,
	`error` text,
	`edited` integer DEFAULT false NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	`reactions` text DEFAULT '{}' NOT NULL,
	`timestamp` integer NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `messages_session_chat_wa` ON `messages` (`session_id`,`chat_jid`,`wa_id`);--> statement-breakpoint
CREATE INDEX `messages_chat_time` ON `messages` (`session_id`,`chat_jid`,`timestamp`,`pk`);--> statement-breakpoint
CREATE UNIQUE INDEX `messages_channel_server` ON `messages` (`session_id`,`chat_jid`,`server_id`) WHERE server_id IS NOT NULL;--> statement-breakpoint
CREATE TABLE `orgs` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`desired_state` text DEFAULT 'stopped' NOT NULL,
	`status` text DEFAULT 'stopped' NOT NULL,
	`last_error` text,
	`phone` text,
	`jid` text,
	`lid` text,
	`push_name` text,
	`undecryptable_count` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`status_changed_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`connected_at` integer,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_org` ON `sessions` (`org_id`,`id`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`pk` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`webhook_id` text NOT NULL,
	`event_seq` integer NOT NULL,
	`event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`session_id` text,
	`status` text NOT NULL,
	`attempt_count` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`attempts` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`webhook_id`) REFERENCES `webhooks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deliveries_id` ON `webhook_deliveries` (`id`);--> statement-breakpoint
CREATE INDEX `deliveries_webhook` ON `webhook_deliveries` (`webhook_id`,`pk`);--> statement-breakpoint
CREATE INDEX `deliveries_due` ON `webhook_deliveries` (`webhook_id`,`next_attempt_at`) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX `deliveries_created` ON `webhook_deliveries` (`created_at`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`url` text NOT NULL,
	`events` text NOT NULL,
	`session_ids` text,
	`enabled` integer DEFAULT true NOT NULL,
	`description` text,
	`disabled_reason` text,
	`secret` text NOT NULL,
	`previous_secret` text,
	`previous_expires_at` integer,
	`hwm` integer DEFAULT 0 NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `orgs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhooks_org` ON `webhooks` (`org_id`,`id`);