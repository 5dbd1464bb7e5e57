-- Every user's own day (contract, "Every user's own day").
--
-- users.time_zone: the IANA zone the user's days are counted in. Existing
-- users get the service's SIGNIN_TIMEZONE, which store::migrate passes as
-- `signin.timezone` (UTC without it); their sign-ins keep their dates.
-- users.registered_on: the registration date in the zone the user had
-- then (BEFORE_REGISTRATION), fixed once.
-- users.time_zone_changed_at: the last change, for the change limit.
ALTER TABLE users
    ADD COLUMN time_zone TEXT,
    ADD COLUMN registered_on DATE,
    ADD COLUMN time_zone_changed_at TIMESTAMPTZ;
UPDATE users
   SET time_zone = coalesce(nullif(current_setting('signin.timezone', true), ''), 'UTC');
UPDATE users SET registered_on = (created_at AT TIME ZONE time_zone)::date;
ALTER TABLE users
    ALTER COLUMN time_zone SET NOT NULL,
    ALTER COLUMN registered_on SET NOT NULL,
    ADD CONSTRAINT users_time_zone_length CHECK (length(time_zone) BETWEEN 1 AND 64);

-- Each change of a user's zone, append-only: when it took effect, from and
-- to which zone, and the date it jumped over moving east (a jumped date
-- keeps the chain like a frozen one; at most one per change).
CREATE TABLE time_zone_changes (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    changed_at   TIMESTAMPTZ NOT NULL,
    from_zone    TEXT NOT NULL,
    to_zone      TEXT NOT NULL,
    jumped_date  DATE
);
CREATE INDEX time_zone_changes_by_user ON time_zone_changes (user_id, changed_at DESC);
CREATE INDEX time_zone_changes_jumped ON time_zone_changes (user_id, jumped_date)
    WHERE jumped_date IS NOT NULL;

-- signin_chains, per-user days: the function no longer takes "today" (each
-- user has their own, which the service works out from the zone and dates
-- this returns) but bounds every user's today can have at the instant of
-- the read. Every user's today is in [U - 1, U + 1], U the UTC date now
-- (zones run from UTC-12 to UTC+14, and a recorded date is never later
-- than the date a zone had when it was recorded), so:
-- - `before` = U + 2, and the tenth-latest signed or made-up date before it
--   (at most three dates lie in [today, U + 2), so the six latest before
--   any possible today are loaded, with margin);
-- - `window_start` = U - 1 - SIGNIN_MAKEUP_WINDOW_DAYS, the oldest date any
--   make-up may fill, and the latest signed or made-up date before it;
-- - every date from there on, with no upper bound (after a move west, a
--   recorded date may be after the zone's date).
-- It answers the user's zone, registration date, the instants of the
-- make-ups made since `made_up_since` (the service counts those of the
-- user's calendar month), the jumped dates, and the latest sign-in's date
-- and reward (todayReward when that date is today).
DROP FUNCTION signin_chains(BIGINT[], DATE, DATE, TIMESTAMPTZ);
CREATE FUNCTION signin_chains(user_ids BIGINT[], before DATE, window_start DATE,
                              made_up_since TIMESTAMPTZ)
RETURNS TABLE (user_id BIGINT, balance BIGINT, freezes_held INTEGER,
               registered_on DATE, time_zone TEXT, made_up_at TIMESTAMPTZ[],
               days DATE[], frozen BOOLEAN[], made_up BOOLEAN[], cycle_days SMALLINT[],
               streaks INTEGER[], jumped DATE[], last_day DATE, last_reward BIGINT)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH starts AS MATERIALIZED (
        SELECT u.id, LEAST(
                   (SELECT s.day FROM sign_ins s WHERE s.user_id = u.id AND s.day < before
                     ORDER BY s.day DESC OFFSET 9 LIMIT 1),
                   (SELECT s.day FROM sign_ins s WHERE s.user_id = u.id AND s.day < window_start
                     ORDER BY s.day DESC LIMIT 1),
                   window_start) AS from_day
          FROM unnest(user_ids) AS u(id))
    SELECT w.user_id, w.balance, w.freezes_held, u.registered_on, u.time_zone,
           coalesce((SELECT array_agg(s.created_at) FROM sign_ins s
                      WHERE s.user_id = w.user_id AND s.made_up
                        AND s.created_at >= made_up_since), '{}') AS made_up_at,
           coalesce(d.days, '{}') AS days, coalesce(d.frozen, '{}') AS frozen,
           coalesce(d.made_up, '{}') AS made_up, coalesce(d.cycle_days, '{}') AS cycle_days,
           coalesce(d.streaks, '{}') AS streaks,
           coalesce((SELECT array_agg(c.jumped_date) FROM time_zone_changes c
                      WHERE c.user_id = w.user_id AND c.jumped_date >= a.from_day), '{}') AS jumped,
           l.day AS last_day, l.reward AS last_reward
      FROM starts a
      JOIN wallets w ON w.user_id = a.id
      JOIN users u ON u.id = a.id
      LEFT JOIN LATERAL (
        SELECT array_agg(x.day) AS days, array_agg(x.frozen) AS frozen,
               array_agg(x.made_up) AS made_up, array_agg(x.cycle_day) AS cycle_days,
               array_agg(x.streak) AS streaks
          FROM (SELECT s.day, false AS frozen, s.made_up, s.cycle_day, s.streak
                  FROM sign_ins s WHERE s.user_id = a.id AND s.day >= a.from_day
                UNION ALL
                SELECT f.day, true, false, 0::int2, 0
                  FROM frozen_days f WHERE f.user_id = a.id AND f.day >= a.from_day) x
      ) d ON true
      LEFT JOIN LATERAL (
        SELECT s.day, s.reward FROM sign_ins s
         WHERE s.user_id = a.id AND NOT s.made_up
         ORDER BY s.day DESC LIMIT 1
      ) l ON true;
END
$$;
