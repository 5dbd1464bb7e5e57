-- The peer's one addition to the bench database (idempotent; `make bench-peer`
-- runs it): signInHistory's workload as one function, so PostGraphile answers
-- it with one SQL statement, as it does the status read through its own
-- `allSignIns(condition: {userId}, orderBy: DAY_DESC, first: 1)`.
CREATE SCHEMA IF NOT EXISTS bench_peer;
CREATE OR REPLACE FUNCTION bench_peer.sign_in_history(user_ids bigint[], from_day date, to_day date)
  RETURNS SETOF public.sign_ins
  LANGUAGE sql STABLE
AS $$
  SELECT * FROM public.sign_ins
   WHERE user_id = ANY(user_ids) AND day BETWEEN from_day AND to_day
   ORDER BY user_id, day
$$;

-- Tables of later migrations that no workload reads stay out of the peer's
-- schema: refresh_tokens' one-to-one link to the token it replaced gives
-- PostGraphile two relations of one name, and it then builds no types at all.
DO $$
BEGIN
  IF to_regclass('public.refresh_tokens') IS NOT NULL THEN
    COMMENT ON TABLE public.refresh_tokens IS E'@behavior -*';
  END IF;
  IF to_regclass('public.sessions') IS NOT NULL THEN
    COMMENT ON TABLE public.sessions IS E'@behavior -*';
  END IF;
END $$;
