-- Indexes for the worker's retention sweep (Sources/AlertRelayCore/Jobs/Maintenance.swift).

-- Deleting a delivery sets request_log.delivery_id to NULL (ON DELETE SET NULL); without this index
-- every deleted delivery would scan the whole request log.
CREATE INDEX request_log_delivery_idx ON request_log (delivery_id) WHERE delivery_id IS NOT NULL;
-- Finished deliveries by age. BRIN: date_updated grows with the table and a B-tree would cost every
-- delivery update (and stop them being HOT updates).
CREATE INDEX deliveries_finished_idx ON deliveries USING brin (date_updated);
