"""The bank's side of witnessing: accepting, storing and serving its witnesses' cosignatures."""
