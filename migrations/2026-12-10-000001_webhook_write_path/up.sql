-- The webhook outbox's write path, made cheaper for the statement that
-- writes a sign-in with its events (issue 28's bench: signIn with two
-- endpoints against none).

-- A message's claim for an attempt is its own column, not a move of
-- next_attempt_at: no index holds it, so the claim is a heap-only (HOT)
-- update with no index entry written, where moving next_attempt_at wrote
-- one in each of the table's five indexes. Pages keep room for it.
ALTER TABLE webhook_deliveries ADD COLUMN leased_until TIMESTAMPTZ;
ALTER TABLE webhook_deliveries SET (fillfactor = 70);

-- No foreign key from a delivery to its endpoint: checking it takes a
-- KEY SHARE lock on the endpoint's row, one row that every concurrent
-- sign-in's transaction then shares (a MultiXact each time). Endpoints are
-- never deleted (only marked: deleted_at), so the key cannot dangle.
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_endpoint_id_fkey;

-- New message ids start with the time (milliseconds, hex), so the unique
-- index grows at its right edge instead of at a random page (a random
-- page is a full-page image in the WAL after each checkpoint). Same shape
-- as before: msg_ and 32 hex digits. (The events' keys, made by the
-- service, have the same form: `service::webhooks::new_event_key`.)
ALTER TABLE webhook_deliveries ALTER COLUMN message_id SET DEFAULT
    'msg_' || lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
           || substr(replace(gen_random_uuid()::text, '-', ''), 1, 20);
