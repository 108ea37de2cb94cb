"""An independent witness of the bank's log: it cosigns checkpoints that extend what it saw."""
