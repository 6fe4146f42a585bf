-- Gravity.Usage schema version 9: nothing changes on SQLite. On PostgreSQL this version adds the commit marks that
-- tell a lost COMMIT's outcome; SQLite commits in-process, where an answer cannot be lost. The version is recorded so
-- that both providers stay at the same schema version.
SELECT 1;
