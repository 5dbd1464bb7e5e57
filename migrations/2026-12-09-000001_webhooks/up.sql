-- Webhooks (contract, "Webhooks and streak reminders"): endpoints and
-- their signing secrets, the outbox of events (written in the transaction
-- of the change each reports), one delivery per (event, endpoint) with its
-- attempts, and the reminders already sent.

ALTER TYPE admin_action ADD VALUE 'createWebhookEndpoint';
ALTER TYPE admin_action ADD VALUE 'updateWebhookEndpoint';
ALTER TYPE admin_action ADD VALUE 'rotateWebhookSecret';
ALTER TYPE admin_action ADD VALUE 'deleteWebhookEndpoint';

CREATE TYPE webhook_event_type AS ENUM (
    'SIGN_IN_RECORDED',
    'REWARD_CREDITED',
    'MILESTONE_REACHED',
    'STREAK_FREEZE_USED',
    'STREAK_AT_RISK',
    'STREAK_LOST'
);

CREATE TABLE webhook_endpoints (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url          TEXT NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2048),
    events       webhook_event_type[] NOT NULL,
    description  TEXT NOT NULL CHECK (char_length(description) <= 500),
    enabled      BOOLEAN NOT NULL DEFAULT true,
    -- Why it was disabled, when the service did it (410, 5 days failing).
    disabled_reason TEXT,
    -- The first failed attempt of the current run of failures (NULL after
    -- a success): 5 days of only failures disable the endpoint.
    failing_since TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL,
    created_by   BIGINT REFERENCES users (id),
    deleted_at   TIMESTAMPTZ
);
-- The fan-out in each change's transaction reads the live endpoints.
CREATE INDEX webhook_endpoints_live ON webhook_endpoints (id) WHERE enabled AND deleted_at IS NULL;

CREATE TABLE webhook_secrets (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id  BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- `whsec_` and the base64 of the key's bytes.
    secret       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    -- A rotated-out secret signs beside the new one until then.
    expires_at   TIMESTAMPTZ
);
CREATE INDEX webhook_secrets_by_endpoint ON webhook_secrets (endpoint_id);

-- The outbox: one row per event, written with the change it reports.
CREATE TABLE webhook_events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Ties the event to the deliveries written with it (one statement).
    event_key    TEXT NOT NULL UNIQUE,
    event_type   webhook_event_type NOT NULL,
    user_id      BIGINT REFERENCES users (id),
    -- The body sent, exactly (JSON text).
    body         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TYPE webhook_delivery_status AS ENUM ('PENDING', 'DELIVERED', 'FAILED');

CREATE TABLE webhook_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        BIGINT NOT NULL REFERENCES webhook_events (id),
    endpoint_id     BIGINT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    -- `webhook-id`: the same on every attempt of this message
    -- (`WebhookDelivery.id`).
    message_id      TEXT NOT NULL UNIQUE
                    DEFAULT ('msg_' || replace(gen_random_uuid()::text, '-', '')),
    status          webhook_delivery_status NOT NULL DEFAULT 'PENDING',
    -- Attempts made (the retry schedule's position).
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- When the next attempt is due (PENDING); an attempt in flight holds
    -- it a lease ahead, so no other worker takes it meanwhile.
    next_attempt_at TIMESTAMPTZ,
    -- When the sweep last handed it to the queue.
    enqueued_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id DESC);

CREATE TABLE webhook_attempts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at TIMESTAMPTZ NOT NULL,
    -- The HTTP status, or NULL with `error` when there was no answer.
    status_code  INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);

-- The reminder sweep visits each zone in use (a skip scan of this index)
-- and finds its candidates among the users who signed on the few dates
-- that matter, a page at a time in user order: (day, user_id) replaces the
-- index on day alone (every read by date uses it as before).
CREATE INDEX users_live_time_zone ON users (time_zone, id) WHERE deleted_at IS NULL;
CREATE INDEX sign_ins_day_user_idx ON sign_ins (day, user_id);
DROP INDEX sign_ins_day_idx;

-- Reminders sent: at most one of each kind per user and date, whatever
-- the workers and restarts (the key decides).
CREATE TABLE streak_reminders (
    user_id      BIGINT NOT NULL REFERENCES users (id),
    kind         webhook_event_type NOT NULL CHECK (kind IN ('STREAK_AT_RISK', 'STREAK_LOST')),
    day          DATE NOT NULL,
    event_id     BIGINT REFERENCES webhook_events (id),
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, kind, day)
);
