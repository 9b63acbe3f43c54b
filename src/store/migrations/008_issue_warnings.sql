-- A value a source file keeps or drops with a warning (a placeholder code, a rounded amount, a subject
-- code that is neither a USCC nor an organisation code) is counted among the connector's issues.
ALTER TABLE connector_issues DROP CONSTRAINT connector_issues_kind_check;
ALTER TABLE connector_issues ADD CONSTRAINT connector_issues_kind_check
  CHECK (kind IN ('unknown_field', 'unknown_code', 'duplicate_key', 'value_warning'));
