"""`mailinit check` as the README, upgrade and migration docs run it: a fresh container
of the image with the configuration directory mounted read-only, nothing else."""

from conftest import engine, password_hash


def check(image, config_dir, *env):
    argv = ["run", "--rm", "-e", "MAIL_DOMAIN=example.test"]
    for item in env:
        argv += ["-e", item]
    return engine(*argv, "-v", f"{config_dir}:/etc/mailinit:ro", image, "check", check=False)


def test_a_good_configuration_passes_in_a_fresh_container(image, tmp_path):
    (tmp_path / "accounts").write_text(f"anna@example.test:{password_hash('x' * 16)}\n")
    (tmp_path / "aliases").write_text("sales@example.test anna@example.test\n")
    out = check(image, tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "configuration OK: mail.example.test for example.test" in out.stdout, out.stdout
    # The Sieve script was compiled against the configuration rendered here.
    assert "sievec" not in out.stderr, out.stderr


def test_a_bad_configuration_fails_with_78_and_names_the_file_and_line(image, tmp_path):
    (tmp_path / "accounts").write_text(f"anna@example.test:{password_hash('x' * 16)}\n"
                                       "not-an-address\n")
    out = check(image, tmp_path)
    assert out.returncode == 78, out.stdout + out.stderr
    assert "accounts" in out.stderr and ":2" in out.stderr, out.stderr
    assert "configuration OK" not in out.stdout


def test_a_mail_user_that_is_a_daemon_s_is_refused(image, tmp_path):
    """A mail group that is a daemon's would let that daemon into every mailbox and into
    rspamd's controller (what Dovecot's learning from Junk uses)."""
    redis = engine("run", "--rm", "--entrypoint", "getent", image, "group",
                   "redis").stdout.split(":")[2]
    out = check(image, tmp_path, f"VMAIL_GID={redis}")
    assert out.returncode == 78, out.stdout + out.stderr
    assert f"VMAIL_GID: {redis} is the group redis" in out.stderr, out.stderr
