-- Indexes for the worker's retention sweep (Sources/AlertRelayCore/Jobs/Maintenance.swift).

-- A delivery's attempts (GET .../alerts/{id} attempt_log).
CREATE INDEX request_log_delivery_idx ON request_log (delivery_id) WHERE delivery_id IS NOT NULL;
-- Finished deliveries by age. BRIN: date_updated grows with the table and a B-tree would cost every
-- delivery update (and stop them being HOT updates).
CREATE INDEX deliveries_finished_idx ON deliveries USING brin (date_updated);
