//! parse::dovecot: dovecot.conf text → statements with spans (stub).
