-- The key of `sign_ins` (one row per user and date) carries the columns the
-- hot reads take from a user's dates, so they read the index alone.
--
-- Why: the history read (`store::sign_ins::between_many_by_user`: day,
-- cycle_day, streak, reward, made_up for each user in a date range) and
-- the chain read (`signin_chains`: day, made_up, cycle_day, streak, and the
-- latest reward) found each date's row in the index, then fetched it from
-- the table. A user's dates are one run of the index, but their rows lie
-- on a different table page each (each day's sign-ins are written
-- together), so a 100-user month fetched about 2,000 pages beside its
-- index pages. With the columns included, an index-only scan reads the
-- run and no table page (where the visibility map says the page is all
-- visible, which vacuum keeps for every page but the newest).
-- Measured on the bench data (100,000 users x 90 days): the history read
-- for 100 users x 31 days went from about 2,500 buffers to about 850, and
-- signInHistory at one connection from 207-227 to 263-265 requests a
-- second (bench/results/issue23-sweep-fix).
--
-- The key is the same (user_id, day), so `ON CONFLICT (user_id, day)` and
-- every partition keep it; its index is rebuilt once here (the table is
-- locked for writes meanwhile: about 2 s for 5 million rows on the bench
-- machine; docs/operations.md).
ALTER TABLE sign_ins
    DROP CONSTRAINT sign_ins_user_day_key,
    ADD CONSTRAINT sign_ins_user_day_key UNIQUE (user_id, day)
        INCLUDE (cycle_day, streak, reward, made_up);
