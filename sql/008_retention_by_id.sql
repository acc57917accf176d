-- The retention sweep now finds expired rows by primary key: the first id whose date is inside the retention
-- bounds a range scan (Sources/AlertRelayCore/Jobs/Maintenance.swift). The BRIN indexes it used stop helping
-- once deletes free pages that new rows then fill (every block range ends up spanning old and new dates), and
-- deliveries.date_updated changes on every update. Both cost every write for nothing.
DROP INDEX IF EXISTS request_log_date_idx;
DROP INDEX IF EXISTS deliveries_finished_idx;
