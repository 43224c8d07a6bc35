"""The rendered lookup tables as Postfix itself reads them: every key once (a duplicate
makes Postfix fail every lookup, so all inbound mail), aliases on accounts merged, and
postmaster@ and abuse@ of every domain going somewhere."""

import subprocess

import pytest

from test_check import GOOD_HASH, OK


def lookup(result, table, key):
    """postmap -q against the rendered texthash: table, warnings included."""
    postfix = result.out / "etc/postfix"
    out = subprocess.run(["postmap", "-c", str(postfix), "-q", key, f"texthash:{postfix}/{table}"],
                         capture_output=True, text=True)
    assert "duplicate" not in out.stderr, out.stderr
    return out.stdout.strip() if out.returncode == 0 else None


def keys(result, table):
    lines = result.file(f"/etc/postfix/{table}").splitlines()
    return [line.split()[0] for line in lines if line and not line.startswith("#")]


def test_an_alias_on_an_account_adds_targets_and_breaks_no_other_lookup(check):
    result = check(OK, accounts=f"anna@example.test:{GOOD_HASH}\nbob@example.test:{GOOD_HASH}\n",
                   aliases="anna@example.test carl@other.test\n"
                           "sales@example.test bob@example.test\n"
                           "sales@example.test anna@example.test, bob@example.test\n")
    assert result.status == 0, result.output
    for table in ("virtual", "sender-logins"):
        assert len(keys(result, table)) == len(set(keys(result, table))), result.file(
            f"/etc/postfix/{table}")
    assert lookup(result, "virtual", "anna@example.test") == "anna@example.test, carl@other.test"
    assert lookup(result, "virtual", "bob@example.test") == "bob@example.test"
    assert lookup(result, "virtual", "sales@example.test") == "bob@example.test, anna@example.test"


@pytest.mark.parametrize("role", ["postmaster", "abuse"])
def test_role_addresses_of_every_domain_reach_the_postmaster(check, role):
    result = check({**OK, "MAIL_DOMAINS": "other.test", "POSTMASTER_ADDRESS": "boss@example.test"},
                   accounts=f"boss@example.test:{GOOD_HASH}\n")
    assert result.status == 0, result.output
    for domain in ("example.test", "other.test"):
        assert lookup(result, "virtual", f"{role}@{domain}") == "boss@example.test"


def test_by_default_the_first_account_gets_the_postmaster_s_mail(check):
    # POSTMASTER_ADDRESS defaults to postmaster@MAIL_DOMAIN, which has no mailbox here:
    # mapping it to itself would accept the mail and then bounce it.
    result = check(OK, accounts=f"anna@example.test:{GOOD_HASH}\nbob@example.test:{GOOD_HASH}\n")
    assert result.status == 0, result.output
    assert lookup(result, "virtual", "postmaster@example.test") == "anna@example.test"
    assert lookup(result, "virtual", "abuse@example.test") == "anna@example.test"


def test_an_account_or_alias_of_a_role_address_wins(check):
    result = check(OK, accounts=f"postmaster@example.test:{GOOD_HASH}\n",
                   aliases="abuse@example.test carl@other.test\n")
    assert result.status == 0, result.output
    assert lookup(result, "virtual", "postmaster@example.test") == "postmaster@example.test"
    assert lookup(result, "virtual", "abuse@example.test") == "carl@other.test"
