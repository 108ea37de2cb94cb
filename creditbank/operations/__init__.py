"""Running the bank for years: scheduled jobs with one leader, their records, health and metrics.

``jobs`` says what a job is and ``registry`` lists them all, ``lease`` elects the one process
that does leader work, ``runs`` records every run in ``job_run`` (one row per job and time
slot, so even two leaders cannot run a slot twice), ``scheduler`` puts it on APScheduler, and
the job modules (``checkpoints``, ``audit``, ``expiry``) do the work.
"""
