-- Back to the chain reads of 2026-12-12-000001_bounded_chain_reads.

CREATE OR REPLACE FUNCTION signin_chains(user_ids BIGINT[], before DATE, window_start DATE,
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
                   coalesce(
                     (SELECT s.day FROM sign_ins s
                       WHERE s.user_id = u.id AND s.day >= before - 31 AND s.day < before
                       ORDER BY s.day DESC OFFSET 9 LIMIT 1),
                     (SELECT s.day FROM sign_ins s WHERE s.user_id = u.id AND s.day < before
                       ORDER BY s.day DESC OFFSET 9 LIMIT 1)),
                   coalesce(
                     (SELECT s.day FROM sign_ins s
                       WHERE s.user_id = u.id AND s.day >= window_start - 31
                         AND s.day < window_start
                       ORDER BY s.day DESC LIMIT 1),
                     (SELECT s.day FROM sign_ins s WHERE s.user_id = u.id AND s.day < window_start
                       ORDER BY s.day DESC LIMIT 1)),
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
         WHERE s.user_id = a.id AND NOT s.made_up AND s.day >= before - 3 AND s.day < before
         ORDER BY s.day DESC LIMIT 1
      ) l ON true;
END
$$;
