-- History pages and unread counts walk the (room_id, seq) unique index and
-- skip the few state events; the partial index repeated it and cost an index
-- entry per message.
DROP INDEX IF EXISTS events_messages_by_room;
