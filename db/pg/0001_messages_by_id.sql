DROP INDEX "messages_session_chat_wa";--> statement-breakpoint
CREATE UNIQUE INDEX "messages_session_wa_chat" ON "messages" USING btree ("session_id","wa_id","chat_jid");