-- Gravity.Usage schema version 4: a placeholder on the 'periods' branch only. Version 4 belongs to another branch
-- of issue 9; this file is dropped when that branch's 004 script lands (scripts must be numbered without gaps).
SELECT 1;
