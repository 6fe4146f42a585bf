-- Gravity.Usage schema version 9: commit marks, so that a batch sends its statements and COMMIT in one round trip and
-- its outcome can still be found out when the answer is lost (see PostgreSqlCommitOutcome).
-- Every batch's transaction first inserts a mark the client chose (claimed = false). A store that lost the answer
-- claims the same mark from a new connection (claimed = true, ON CONFLICT DO NOTHING): the claim waits while the
-- batch is in progress; it finds the batch's mark when the batch committed; when it wins, the batch can never commit,
-- because its own insert of the mark would fail. Marks are kept a day (far longer than CommitOutcomeTimeout may be),
-- then swept with the expired idempotency keys. Safe to run again.

CREATE TABLE IF NOT EXISTS {prefix}usage_commit_mark (
    mark       uuid        NOT NULL PRIMARY KEY, -- version 7: time-ordered, so new marks land at the end of the index
    claimed    boolean     NOT NULL,             -- true: inserted by a store that lost the batch's answer
    created_at timestamptz NOT NULL DEFAULT now() -- the server's clock: the sweep trusts no client's
);

CREATE INDEX IF NOT EXISTS ix_usage_commit_mark_created_at ON {prefix}usage_commit_mark (created_at);

-- Ends the one-round-trip statement: when a key was recorded before or a counter would overflow, the batch needs the
-- judging of the multi-statement path, so the transaction is failed (and its COMMIT skipped) with a code of its own.
CREATE OR REPLACE FUNCTION {prefix}usage_one_round_trip_holds(holds boolean) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT holds THEN
        RAISE EXCEPTION 'the batch needs more than one round trip' USING ERRCODE = 'GU001';
    END IF;
    RETURN true;
END
$$;
