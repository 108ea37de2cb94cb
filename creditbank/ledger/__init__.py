"""The verifiable ledger: hash chain, RFC 9162 Merkle log and signed checkpoints."""
