"""Witnessing the bank's log, every side of it in one place.

A witness is another party that cosigns a checkpoint only if it extends the last one it
cosigned, so a log rewritten behind its readers' backs shows. Three parties take part:

- :mod:`.independent`: the witness itself (``creditbank witness``), with its own key and
  state, usually on another machine; it reads the bank only through the public endpoints.
- :mod:`.collector`: the bank's side: accepting cosignatures from configured witnesses,
  storing them (table ``witness_cosignature``) and serving cosigned checkpoints.
- :mod:`.verifier`: a relying party's offline check of a cosigned checkpoint (k of n).

:mod:`.cosignature` is the C2SP tlog-cosignature format all three share. It lives here, not
in :mod:`creditbank.ledger`, although it is a signed-note format like the checkpoint: the log
neither makes nor needs cosignatures (it is complete and verifiable without any witness), and
everything that does need them is about witnessing. The ledger stays the log and its proofs;
this package sits on top of it and builds on its signed notes and consistency proofs.
"""
