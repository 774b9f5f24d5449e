"""README.md's commands: every one has a row in readme_commands.EXPECTED (what running it must do),
so that a README edit without its test fails here in seconds; the rows are run in a booted root by
tests/package/test_package.py (test_readme_commands_run_as_written_in_a_booted_system)."""

from readme_commands import EXPECTED, commands, unclassified


def test_every_readme_command_has_a_row_saying_what_it_must_do():
    missing, stale = unclassified()
    assert not missing, ("README.md commands that no test runs; add each to EXPECTED in tests/readme_commands.py "
                         "(ok(...) if it works in the booted test root, else fails(rc, ..., reason=...)):\n  "
                         + "\n  ".join(missing))
    assert not stale, "EXPECTED rows naming no README.md command (remove or correct them):\n  " + "\n  ".join(stale)


def test_a_row_that_expects_less_than_success_says_why():
    for key, expect in EXPECTED.items():
        assert (expect.rc == 0) != bool(expect.reason), key


def test_commands_are_read_as_the_shell_reads_them():
    text = ("## Demo\n```sh\necho 'a # b' \"#c\" x#y   # the comment\nsudo thing one \\\n    two  # why\n```\n"
            "```\n$ timelapse status\ntimelapse is running\n```\n```yaml\nkey: value\n```\n"
            "```console\n$ echo $HOME\n/root\n```\n")
    assert [c.key for c in commands(text)] == ["echo 'a # b' \"#c\" x#y", "sudo thing one     two",
                                              "timelapse status", "echo $HOME"]
    assert commands(text)[1].script == "sudo thing one \\\n    two  # why"
    assert {c.heading for c in commands(text)} == {"Demo"}
