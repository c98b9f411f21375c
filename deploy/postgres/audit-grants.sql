-- Run after the audit migration, as hdh_audit_owner (the owner of the audit tables).
-- The audit role has SELECT and INSERT only on every audit table (default privileges in
-- init.sh). Its transactional outbox relay also marks published events (UPDATE of
-- sent_at, with SELECT ... FOR UPDATE SKIP LOCKED) and purges old sent ones (DELETE):
-- that column and that table, nothing else. The log tables (entry, tree_node,
-- signing_key, tree_head) stay INSERT and SELECT only, and their triggers refuse UPDATE,
-- DELETE and TRUNCATE even to the owner.
GRANT UPDATE (sent_at), DELETE ON audit.outbox TO hdh_audit;
