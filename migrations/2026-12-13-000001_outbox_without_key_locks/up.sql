-- The outbox's rows no longer check foreign keys as they are written
-- (issue 28's bench: the reminder sweep and signIn with endpoints).
--
-- PostgreSQL checks a foreign key per row inserted with a query that takes
-- a KEY SHARE lock on the referenced row: a lock written into that row (a
-- WAL record and a dirtied page of `users` or `webhook_events`) for every
-- event, delivery and reminder. Measured on 100,000 reminders
-- (EXPLAIN ANALYZE of one page of 1,000): the checks were 7 of the 12.5 ms
-- of the reminders' insert and 11 of the 27 ms of the events' and
-- deliveries' insert.
--
-- What the keys guarded holds without them:
-- * users are never deleted (an account is closed by `deleted_at`), and
--   every event and reminder is written by a statement that reads its
--   user's row (the fan-out joins `users`; the sweep reads the user's
--   chain), so `user_id` always names a user;
-- * a delivery is written by the same statement as its event
--   (`store::webhooks::fan_out`), and events are never deleted;
-- * `streak_reminders.event_id` is not written.
-- Reads join these tables as before (src/schema.rs keeps their joins).
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_user_id_fkey;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_event_id_fkey;
ALTER TABLE streak_reminders DROP CONSTRAINT streak_reminders_user_id_fkey;
ALTER TABLE streak_reminders DROP CONSTRAINT streak_reminders_event_id_fkey;
