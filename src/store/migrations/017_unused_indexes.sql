-- Indexes no query of the gateway uses, found by test/store/index-use.test.ts (every index of the store
-- is justified there by the code path whose plan uses it, or by the rule it enforces). Each costs
-- write-ahead log and time on every insert.
-- No statement reads audit_log by partner: the one reader walks the hash chain by seq.
DROP INDEX audit_log_partner_idx;
-- The session clean-up (expires_at … OR ended_at …) cannot use it; the table holds a few rows.
DROP INDEX console_sessions_expires_idx;
-- Pending repairs are found by repairs_open_record_idx (same partial predicate); nothing lists them by deadline.
DROP INDEX repairs_open_deadline_idx;
