"""``creditbank transcripts issue``, ``transcripts keys rotate`` and ``creditbank verify``."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import create_engine, text

from creditbank.app import create_app
from creditbank.cli import main
from creditbank.transcripts.printing import pdf_renderer
from tests.conftest import ORIGIN
from tests.web.browser.audit import codes_in


def test_issue_rotate_and_verify_offline(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    runner = CliRunner(env={"CREDITBANK_INSTANCE": str(instance), "CREDITBANK_LOG_ORIGIN": ORIGIN})

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.output

    assert run("init")[0] == 0
    assert run("demo", "load")[0] == 0
    engine = create_engine(f"sqlite:///{instance / 'creditbank.sqlite3'}")
    with engine.connect() as connection:
        learner = (
            connection.execute(text("SELECT id FROM learner ORDER BY opened_at, id"))
            .scalars()
            .first()
        )
    engine.dispose()
    out = tmp_path / "transcript.json"
    code, output = run(
        "transcripts", "issue", "--learner", str(learner), "--days", "60", "--out", str(out)
    )
    assert code == 0, output
    assert "verification code" in output
    code, output = run(
        "transcripts", "issue", "--learner", str(learner), "--days", "20", "--out", str(out)
    )
    assert code == 2 and "validity_days" in output
    code, output = run(
        "transcripts",
        "issue",
        "--learner",
        str(learner),
        "--days",
        "60",
        "--out",
        str(out),
        "--pdf",
    )
    if pdf_renderer() is None:
        assert code != 0 and "PDF renderer" in output
    else:
        assert code == 0, output
        assert out.read_bytes().startswith(b"%PDF")
    code, output = run(
        "transcripts", "issue", "--learner", str(learner), "--days", "60", "--out", str(out)
    )
    assert code == 0
    code, output = run("transcripts", "keys", "rotate")
    assert code == 0 and output.startswith("new key did:web:")

    trust = tmp_path / "trust.json"
    code, output = run("trust-list", "--out", str(trust))
    assert code == 0 and "did:web:" in output, output
    app = create_app(
        {
            "instance_path": instance,
            "database_url": f"sqlite:///{instance / 'creditbank.sqlite3'}",
            "log_origin": ORIGIN,
        }
    )
    app.config["TESTING"] = True
    client = app.test_client()
    assert json.loads(client.get("/.well-known/creditbank-trust-list.json").data) == json.loads(
        trust.read_text(encoding="utf-8")
    )
    keys = tmp_path / "did.json"
    keys.write_bytes(client.get("/.well-known/did.json").data)
    credential = json.loads(out.read_text(encoding="utf-8"))
    status_url = credential["credentialStatus"]["statusListCredential"]
    status = tmp_path / "status.json"
    status.write_bytes(client.get(status_url.split("cq.edu.cn", 1)[1]).data)
    checkpoint = tmp_path / "checkpoint.txt"
    checkpoint.write_text(
        credential["credentialSubject"]["verifiableCredential"][0]["evidence"][0]["checkpoint"],
        encoding="utf-8",
    )

    code, output = run(
        "verify",
        str(out),
        "--trust",
        str(trust),
        "--keys",
        str(keys),
        "--checkpoint",
        str(checkpoint),
        "--status",
        str(status),
    )
    assert code == 0, output
    assert "passed       the transcript's signature" in output
    assert "passed       not revoked" in output
    assert "passed       the checkpoint is consistent with the ledger" in output
    assert codes_in(output, "en") == []  # checks and verdicts in words, not their codes
    assert "\nVALID (Valid: the transcript is genuine and in force): " in output
    # Without a status list, revocation is not checked: never plainly valid (exit 3).
    code, output = run("verify", str(out), "--trust", str(trust))
    assert code == 3, output
    assert "not checked  not revoked" in output
    assert "REVOCATION NOT CHECKED (Signature and evidence valid, revocation not checked)" in output
    code, output = run("verify", str(out), "--trust", str(trust), "--allow-unchecked-status")
    assert code == 0 and "REVOCATION NOT CHECKED" in output
    code, output = run("verify", str(out), "--keys", str(keys))
    assert code == 2 and "--trust" in output

    credential["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]["term"] = (
        "2030-2031-1"
    )
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(credential, ensure_ascii=False), encoding="utf-8")
    code, output = run("verify", str(altered), "--trust", str(trust), "--status", str(status))
    assert code == 1
    assert "failed       the records' content" in output and "ALTERED" in output
    assert "check the records' content; record urn:uuid:" in output
