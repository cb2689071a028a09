-- The auth epoch: one counter that every change able to revoke access bumps, by trigger, whichever process or
-- connection makes it (the server, `wagate keys revoke` beside it, a migration). The server caches API key rows and
-- session ownership in memory and reads this one row per request: a moved counter drops the caches, so a revoked,
-- expired-early, re-scoped or deleted key, a deleted organisation or a deleted session fails on the very next
-- request. Not in the drizzle schema: nothing but the triggers writes it and only the auth cache reads it.
CREATE TABLE `auth_epoch` (`id` integer PRIMARY KEY NOT NULL CHECK (`id` = 1), `n` integer NOT NULL);--> statement-breakpoint
INSERT INTO `auth_epoch` (`id`, `n`) VALUES (1, 0);--> statement-breakpoint
CREATE TRIGGER `auth_epoch_api_keys_update` AFTER UPDATE OF `org_id`, `prefix`, `hash`, `capabilities`, `expires_at`, `revoked_at` ON `api_keys`
BEGIN UPDATE `auth_epoch` SET `n` = `n` + 1 WHERE `id` = 1; END;--> statement-breakpoint
CREATE TRIGGER `auth_epoch_api_keys_delete` AFTER DELETE ON `api_keys`
BEGIN UPDATE `auth_epoch` SET `n` = `n` + 1 WHERE `id` = 1; END;--> statement-breakpoint
CREATE TRIGGER `auth_epoch_orgs_update` AFTER UPDATE OF `id` ON `orgs`
BEGIN UPDATE `auth_epoch` SET `n` = `n` + 1 WHERE `id` = 1; END;--> statement-breakpoint
CREATE TRIGGER `auth_epoch_orgs_delete` AFTER DELETE ON `orgs`
BEGIN UPDATE `auth_epoch` SET `n` = `n` + 1 WHERE `id` = 1; END;--> statement-breakpoint
CREATE TRIGGER `auth_epoch_sessions_update` AFTER UPDATE OF `id`, `org_id` ON `sessions`
BEGIN UPDATE `auth_epoch` SET `n` = `n` + 1 WHERE `id` = 1; END;--> statement-breakpoint
CREATE TRIGGER `auth_epoch_sessions_delete` AFTER DELETE ON `sessions`
BEGIN UPDATE `auth_epoch` SET `n` = `n` + 1 WHERE `id` = 1; END;
