"""C2SP transparency-log formats: signed notes (c2sp.org/signed-note), checkpoints
(c2sp.org/tlog-checkpoint), Ed25519 cosignatures (c2sp.org/tlog-cosignature), RFC 6962
consistency proofs, and a witness (c2sp.org/tlog-witness). Imports nothing of the platform."""
