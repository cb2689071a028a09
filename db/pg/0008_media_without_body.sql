-- Custom SQL migration file, put your code below! --
-- Before this version a message with content but no text (a voice note, a sticker, a captionless image, video or
-- document, an interactive reply) was stored with the body "UNKNOWN", the name of stub type 0: it has no body.
UPDATE messages SET body = NULL WHERE body = 'UNKNOWN' AND type IN ('image', 'video', 'audio', 'document', 'sticker', 'unknown');
