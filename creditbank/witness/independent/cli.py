"""``creditbank witness``: set up a witness and run it against a bank.

Exit status: 0 when every round cosigned, 2 for an error (bank unreachable, bad signature,
bad configuration), 3 when the bank offered a checkpoint inconsistent with what this witness
cosigned before (a fork): it is refused, kept as evidence, and never cosigned.
"""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

import click

from creditbank.errors import ForkDetected
from creditbank.witness.independent.bank_client import Bank, HttpTransport
from creditbank.witness.independent.run import RoundResult, run_forever, run_round
from creditbank.witness.independent.store import WitnessStore

FORK_EXIT_STATUS = 3
PASSPHRASE_ENV = "CREDITBANK_WITNESS_PASSPHRASE"  # noqa: S105 (a variable name)


def _passphrase() -> bytes | None:
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None


def _describe(result: RoundResult) -> str:
    root = base64.b64encode(result.root_hash).decode("ascii")
    return f"cosigned {result.origin} size {result.size} root {root} at time {result.timestamp}"


@click.group("witness")
def witness_group() -> None:
    """Run an independent witness that cosigns the bank's checkpoints (C2SP tlog-cosignature)."""


@witness_group.command("init")
@click.option("--name", required=True, help="The witness's key name, e.g. witness.example.org/w1.")
@click.option("--dir", "directory", required=True, type=click.Path(path_type=Path))
def init_command(name: str, directory: Path) -> None:
    """Generate the witness key in DIR and print its verifier key (give it to the bank)."""
    store = WitnessStore.create(directory, name, _passphrase())
    click.echo(store.cosigner.key.verifier_key())


@witness_group.command("key")
@click.option("--dir", "directory", required=True, type=click.Path(path_type=Path))
def key_command(directory: Path) -> None:
    """Print the witness's verifier key."""
    click.echo(WitnessStore.open(directory, _passphrase()).cosigner.key.verifier_key())


@witness_group.command("run")
@click.option("--bank", "bank_url", required=True, help="The bank's base URL.")
@click.option("--dir", "directory", required=True, type=click.Path(path_type=Path))
@click.option("--once", is_flag=True, help="Run one round and exit (the default).")
@click.option("--interval", type=click.FloatRange(min=0.1), help="Run a round every S seconds.")
@click.option(
    "--log-key",
    "log_keys",
    multiple=True,
    help="The log's verifier key to trust (repeatable); else the key is pinned on first use.",
)
def run_command(
    bank_url: str, directory: Path, once: bool, interval: float | None, log_keys: tuple[str, ...]
) -> None:
    """Fetch the bank's checkpoint, check it extends what was cosigned, cosign and submit it."""
    if once and interval is not None:
        raise click.UsageError("give --once or --interval, not both")
    store = WitnessStore.open(directory, _passphrase())
    bank = Bank(HttpTransport(bank_url))

    def one_round() -> RoundResult:
        result = run_round(store, bank, log_keys=log_keys)
        for key in result.pinned:
            click.echo(f"trusting log key {key}", err=True)
        for key in result.followed:
            click.echo(
                f"trusting log key {key} (the log's trusted key signed its rotation)", err=True
            )
        return result

    try:
        if interval is None:
            click.echo(_describe(one_round()))
        else:
            run_forever(one_round, interval, click.echo)
    except ForkDetected as fork:
        click.echo(f"FORK DETECTED ({fork.reason}): {fork.detail}", err=True)
        click.echo(f"evidence kept in {directory / 'evidence'}", err=True)
        sys.exit(FORK_EXIT_STATUS)
