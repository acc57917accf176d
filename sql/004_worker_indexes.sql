-- Indexes for the worker's retention sweep (Sources/AlertRelayCore/Jobs/Maintenance.swift).

-- A delivery's attempts (GET .../alerts/{id} attempt_log).
CREATE INDEX request_log_delivery_idx ON request_log (delivery_id) WHERE delivery_id IS NOT NULL;
-- Finished deliveries by age. BRIN: date_updated grows with the table, and a B-tree would add an
-- index entry to every delivery update.
CREATE INDEX deliveries_finished_idx ON deliveries USING brin (date_updated);
