"""Issue 12, second round: no traceback, no hang, no silent loss, and a terminal that fits the person's screen.

Each test runs offercoach as a person would (the command line, or a real process where the case needs one: a
FIFO, /dev/full, a closed or broken standard output, a second process holding a transcript) and compares the
whole message and the exit code.
"""

import errno
import fcntl
import json
import os
import pty
import signal
import stat
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from knowledge_bases import QUESTION_1, TINY_KB

from offercoach.cli import MAX_ANSWER_LINE, main
from offercoach.engine.files import MAX_INTEGER_DIGITS, MAX_JSON_DEPTH
from offercoach.engine.transcript import MAX_TRANSCRIPT_BYTES
from offercoach.engine.yaml_source import MAX_FILE_BYTES, MAX_NODES

OFFERCOACH = str(Path(sys.executable).parent / "offercoach")
BIG = "9" * 5000  # over Python's 4300-digit limit for turning text into an integer
LONG = f"a number longer than {MAX_INTEGER_DIGITS} digits; write a shorter one"
DEEP = f"nested more than {MAX_JSON_DEPTH} levels deep"

B_RESULT = ("Verdict: Honour (honour)\n  Stay.\n  Because: b-case, from your answers situation=b\n"
            "\nRecommendations, most important first:\n")


def consult(runner, kb, *args, input=None):
    return runner.invoke(main, ["consult", "-k", str(kb), *args], input=input)


def offercoach(*args, timeout=60, **kwargs):
    """offercoach run as its own process, with standard input closed unless given."""
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.run([OFFERCOACH, *args], check=False, text=True, timeout=timeout, **kwargs)


def transcript(runner, kb, tmp_path, name="t.json"):
    """A finished transcript of the tiny knowledge (situation=b)."""
    path = tmp_path / name
    result = consult(runner, kb, "--answer", "situation=b", "--no-input", "--format", "json")
    path.write_text(result.stdout)
    return path


# 1. Tracebacks ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["²", "٣", "３", "0", "4", "1" * 4000])
def test_a_number_that_is_no_choice_is_asked_again(runner, tiny_kb, typed):
    result = consult(runner, tiny_kb, input=f"{typed}\nb\n")
    echoed, quoted = (typed, typed) if len(typed) < 40 else (typed[:77] + "...", typed[:37] + "...")
    assert (result.exit_code, result.stdout) == (0, B_RESULT)
    assert result.stderr == (QUESTION_1 + f"{echoed}\n'{quoted}' is not an answer to 'situation'. Allowed: a, b, "
                             "unknown (or their numbers 1-3).\nsituation> b\n\n")


def test_a_number_in_plain_ascii_digits_still_picks_a_choice(runner, tiny_kb):
    assert consult(runner, tiny_kb, input="2\n").stdout == B_RESULT


def test_an_over_long_integer_in_a_knowledge_file(runner, tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "kb.yaml").write_text(TINY_KB.replace("priority: 2", f"priority: {BIG}"))
    result = runner.invoke(main, ["rules", "validate", "-k", str(kb)])
    line = TINY_KB.splitlines().index(next(x for x in TINY_KB.splitlines() if "priority: 2" in x)) + 1
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"{kb / 'kb.yaml'}:{line}:51: error: {LONG}\n"


def test_an_over_long_integer_in_a_scenario_file(runner, tiny_kb):
    (tiny_kb / "scenarios").mkdir()
    (tiny_kb / "scenarios" / "s.yaml").write_text(f"scenarios:\n  - name: x\n    answers: {{situation: {BIG}}}\n"
                                                  "    expect: {verdict: honour}\n")
    result = runner.invoke(main, ["rules", "test", "-k", str(tiny_kb)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"{tiny_kb / 'scenarios' / 's.yaml'}:3:26: error: {LONG}\n"


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_an_over_long_integer_in_an_answers_file(runner, tiny_kb, tmp_path, suffix):
    path = tmp_path / f"answers{suffix}"
    path.write_text(f"situation: {BIG}\n" if suffix == ".yaml" else f'{{"situation": {BIG}}}')
    result = consult(runner, tiny_kb, "--answers", str(path), "--no-input")
    assert (result.exit_code, result.stdout) == (2, "")
    where = f"{path}:1:12: error:" if suffix == ".yaml" else f"{path}: not valid JSON:"
    assert result.stderr == f"offercoach: {where} {LONG}\n"


def test_an_over_long_integer_in_a_transcript(runner, tiny_kb, tmp_path):
    path = transcript(runner, tiny_kb, tmp_path)
    path.write_text(path.read_text().replace('"format_version": 1', f'"format_version": {BIG}'))
    for command in (["explain", str(path)], ["consult", "--resume", str(path), "--no-input"]):
        result = runner.invoke(main, [*command, "-k", str(tiny_kb)])
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr == f"offercoach: {path}: not a usable offercoach transcript: {LONG}\n"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5000])
def test_deeply_nested_json(runner, tiny_kb, tmp_path, depth):
    path = tmp_path / "deep.json"
    path.write_text('{"situation": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}")
    answers = consult(runner, tiny_kb, "--answers", str(path), "--no-input")
    assert (answers.exit_code, answers.stdout, answers.stderr) == (2, "", f"offercoach: {path}: not valid JSON: {DEEP}\n")
    for command in (["explain", str(path)], ["consult", "--resume", str(path), "--no-input"]):
        result = runner.invoke(main, [*command, "-k", str(tiny_kb)])
        assert (result.exit_code, result.stdout) == (2, "")
        assert result.stderr == f"offercoach: {path}: not a usable offercoach transcript: {DEEP}\n"


def test_json_nested_as_deep_as_allowed_is_read(runner, tiny_kb, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"situation": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}")
    result = consult(runner, tiny_kb, "--answers", str(path), "--no-input")
    assert result.stderr == ("offercoach: '" + "[" * 37 + "...' is not an allowed answer to 'situation'; allowed: "
                             "a, b, unknown\n")


def test_save_and_resume_on_a_looping_symbolic_link(runner, tiny_kb, tmp_path):
    loop = tmp_path / "loop.json"
    loop.symlink_to(tmp_path / "other.json")
    (tmp_path / "other.json").symlink_to(loop)
    saved = consult(runner, tiny_kb, "--save", str(loop), input="a\n")
    assert (saved.exit_code, saved.stdout, saved.stderr) == (
        2, "", f"offercoach: cannot save the transcript to {loop}: it is a symbolic link that loops\n")
    resumed = consult(runner, tiny_kb, "--resume", str(loop), input="a\n")
    assert (resumed.exit_code, resumed.stdout, resumed.stderr) == (
        2, "", f"offercoach: {loop}: cannot read the transcript: it is a symbolic link that loops\n")


def test_a_full_standard_output(tiny_kb):
    with open("/dev/full", "w") as full:
        result = offercoach("consult", "-k", str(tiny_kb), "--answer", "situation=b", "--no-input", stdout=full)
    assert (result.returncode, result.stderr) == (2, "offercoach: cannot write the output: No space left on device\n")


# 2. Unbounded reads and hangs ------------------------------------------------------------------------------


def test_a_device_given_as_a_transcript_is_refused_without_reading_it(tmp_path):
    zero = tmp_path / "z.json"
    zero.symlink_to("/dev/zero")
    result = offercoach("explain", str(zero), timeout=20)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"offercoach: {zero}: cannot read the transcript: it is a device, not a regular file\n"


@pytest.mark.parametrize("option", ["--resume", "--answers", "explain"])
def test_a_fifo_is_refused_without_waiting_on_it(tiny_kb, tmp_path, option):
    fifo = tmp_path / "f.json"
    os.mkfifo(fifo)
    args = ["explain", str(fifo)] if option == "explain" else ["consult", option, str(fifo), "--no-input"]
    result = offercoach(*args, "-k", str(tiny_kb), timeout=20)
    what = "answers file" if option == "--answers" else "transcript"
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"offercoach: {fifo}: cannot read the {what}: it is a named pipe (FIFO), not a regular file\n"


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_an_answers_file_over_the_bound_is_refused_before_reading(runner, tiny_kb, tmp_path, suffix):
    path = tmp_path / f"big{suffix}"
    with path.open("wb") as out:
        out.truncate(200 * 1024 * 1024)  # a sparse file: 200 MB that take no disk
    result = consult(runner, tiny_kb, "--answers", str(path), "--no-input")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"offercoach: {path}: cannot read the answers file: it is larger than {MAX_FILE_BYTES} bytes\n"


def test_a_transcript_over_the_bound_is_refused_before_reading(runner, tiny_kb, tmp_path):
    path = tmp_path / "big.json"
    with path.open("wb") as out:
        out.truncate(MAX_TRANSCRIPT_BYTES + 1)
    result = runner.invoke(main, ["explain", str(path), "-k", str(tiny_kb)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"offercoach: {path}: not a usable offercoach transcript: larger than "
                             f"{MAX_TRANSCRIPT_BYTES} bytes\n")


def test_a_line_typed_at_the_prompt_is_read_up_to_its_bound(runner, tiny_kb):
    result = consult(runner, tiny_kb, input="x" * (MAX_ANSWER_LINE * 3) + "\nb\n")
    assert (result.exit_code, result.stdout) == (0, B_RESULT)
    assert result.stderr == (QUESTION_1 + "x" * 77 + "...\n'" + "x" * 37 + "...' is not an answer to 'situation'. "
                             "Allowed: a, b, unknown (or their numbers 1-3).\nsituation> b\n\n")


@pytest.mark.parametrize("what", ["directory", "device"])
def test_answers_that_are_not_a_regular_file(runner, tiny_kb, tmp_path, what):
    path = tmp_path / "answers.yaml"
    if what == "directory":
        path.mkdir()
    else:
        path.symlink_to("/dev/null")
    result = consult(runner, tiny_kb, "--answers", str(path), "--no-input")
    reason = "it is a directory, not a file" if what == "directory" else "it is a device, not a regular file"
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"offercoach: {path}: cannot read the answers file: {reason}\n"


def test_a_looping_answers_file(runner, tiny_kb, tmp_path):
    loop = tmp_path / "answers.yaml"
    loop.symlink_to(loop)
    result = consult(runner, tiny_kb, "--answers", str(loop), "--no-input")
    assert (result.exit_code, result.stderr) == (
        2, f"offercoach: {loop}: cannot read the answers file: it is a symbolic link that loops\n")


# 4. Two consultations saving to one file -------------------------------------------------------------------


@pytest.fixture
def first_consultation(tiny_kb, tmp_path):
    """A consultation saving to advice.json, waiting at its second question."""
    saved = tmp_path / "advice.json"
    process = subprocess.Popen([OFFERCOACH, "consult", "-k", str(tiny_kb), "--save", str(saved)], text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdin.write("a\n")
    process.stdin.flush()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and '"situation": "a"' not in (saved.read_text() if saved.exists() else ""):
        time.sleep(0.05)
    yield process, saved
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.mark.parametrize("option", ["--save", "--resume"])
def test_a_second_consultation_saving_to_the_same_file_is_refused(runner, tiny_kb, first_consultation, option):
    process, saved = first_consultation
    second = consult(runner, tiny_kb, option, str(saved), input="b\n")
    assert (second.exit_code, second.stdout) == (2, "")
    assert second.stderr == (f"offercoach: cannot save the transcript to {saved}: another consultation is saving to "
                             f"it (process {process.pid}); finish that one first, or save to another file\n")
    process.communicate("yes\nno\n", timeout=30)  # the first one goes on, and keeps what it was told
    assert process.returncode == 0
    assert json.loads(saved.read_text())["answers"] == {"situation": "a", "agency": "yes", "genuine": "no"}
    assert sorted(os.listdir(saved.parent)) == ["advice.json", "kb"]


def test_the_file_is_free_again_once_the_first_consultation_ends(runner, tiny_kb, first_consultation):
    process, saved = first_consultation
    process.communicate("yes\nno\n", timeout=30)
    resumed = consult(runner, tiny_kb, "--resume", str(saved), "--no-input")
    assert resumed.exit_code == 0


# 5. quit under --save leaves a transcript --resume reads ---------------------------------------------------


def test_quit_at_the_first_question_under_save_leaves_a_transcript_to_resume(runner, tiny_kb, tmp_path):
    saved = tmp_path / "x.json"
    stopped = consult(runner, tiny_kb, "--save", str(saved), input="quit\n")
    assert (stopped.exit_code, stopped.stdout) == (3, "")
    assert stopped.stderr == (QUESTION_1 + f"quit\noffercoach: stopped at your request; your answers are saved in "
                              f"{saved}. Continue with: offercoach consult --resume {saved}\n")
    resumed = consult(runner, tiny_kb, "--resume", str(saved), input="b\n")
    assert (resumed.exit_code, resumed.stdout) == (0, B_RESULT)
    assert resumed.stderr == (f"Resuming {saved}: no answers yet. Type 'back' at a question to change the previous "
                              "answer.\n" + QUESTION_1 + "b\n\n")


def test_answers_given_beforehand_are_kept_by_a_quit_at_the_first_question(runner, tiny_kb, tmp_path):
    saved = tmp_path / "x.json"
    consult(runner, tiny_kb, "--answer", "genuine=no", "--save", str(saved), input="quit\n")
    assert json.loads(saved.read_text())["not_needed"] == {"genuine": "no"}


def test_quit_has_its_own_exit_code(runner, tiny_kb):
    result = consult(runner, tiny_kb, input="a\nquit\n")
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr.endswith("agency> quit\noffercoach: stopped at your request; nothing was decided.\n")


# 6. Output lost silently -----------------------------------------------------------------------------------


def test_a_reader_that_stops_reading_ends_offercoach_quietly(tiny_kb):
    # As `offercoach consult ... | head -1` once head has gone: the pipe is closed before anything is written.
    read, write = os.pipe()
    os.close(read)
    try:
        result = offercoach("consult", "-k", str(tiny_kb), "--answer", "situation=b", "--no-input", stdout=write)
    finally:
        os.close(write)
    assert (result.returncode, result.stderr) == (-signal.SIGPIPE, "")


def test_a_broken_pipe_after_saving_keeps_the_transcript(tiny_kb, tmp_path):
    saved = tmp_path / "advice.json"
    read, write = os.pipe()
    os.close(read)
    try:
        result = offercoach("consult", "-k", str(tiny_kb), "--answer", "situation=b", "--no-input", "--save",
                            str(saved), stdout=write)
    finally:
        os.close(write)
    assert (result.returncode, result.stderr) == (-signal.SIGPIPE, "")
    assert json.loads(saved.read_text())["verdict"]["id"] == "honour"


@pytest.mark.parametrize("command", [["consult", "--answer", "situation=b", "--no-input"], ["rules", "list"],
                                     ["--version"]])
def test_a_closed_standard_output_is_an_error(tiny_kb, command):
    if command[0] != "--version":
        command = [*command, "-k", str(tiny_kb)]
    result = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", OFFERCOACH, *command], check=False, text=True,
                            capture_output=False, stderr=subprocess.PIPE, timeout=60)
    assert (result.returncode, result.stderr) == (2, "offercoach: cannot write the output: standard output is closed\n")


def test_a_closed_standard_input_is_the_end_of_input(tiny_kb):
    result = subprocess.run(["sh", "-c", 'exec "$@" <&-', "sh", OFFERCOACH, "consult", "-k", str(tiny_kb)],
                            check=False, text=True, capture_output=True, timeout=60)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == QUESTION_1 + ("\noffercoach: input ended before the consultation finished; nothing was "
                                          "decided. Use --no-input to take unanswered questions as unknown.\n")


def test_input_that_is_not_utf8_is_read_as_a_wrong_answer(tiny_kb):
    result = subprocess.run([OFFERCOACH, "consult", "-k", str(tiny_kb)], input=b"\xff\xfe\nb\n", check=False,
                            capture_output=True, timeout=60)
    assert (result.returncode, result.stdout.decode()) == (0, B_RESULT)
    assert result.stderr.decode() == (QUESTION_1 + "\ufffd\ufffd\n'\ufffd\ufffd' is not an answer to 'situation'. "
                                      "Allowed: a, b, unknown (or their numbers 1-3).\nsituation> b\n\n")


# 7. Litter and surprises around --save ---------------------------------------------------------------------


def test_temporary_files_left_by_a_killed_save_are_cleaned(runner, tiny_kb, tmp_path):
    saved = tmp_path / "advice.json"
    for name in (".advice.json.k3j_x9a2.tmp", ".advice.json.8z0q1wxy.tmp"):
        (tmp_path / name).write_text("half a transcr")
    (tmp_path / ".advice.json.backup.tmp").write_text("not ours")
    (tmp_path / ".other.json.k3j_x9a2.tmp").write_text("another transcript's")
    result = consult(runner, tiny_kb, "--answer", "situation=b", "--no-input", "--save", str(saved))
    assert result.exit_code == 0
    assert sorted(os.listdir(tmp_path)) == [".advice.json.backup.tmp", ".other.json.k3j_x9a2.tmp", "advice.json", "kb"]


def test_save_to_a_directory_is_refused_before_any_question(runner, tiny_kb, tmp_path):
    result = consult(runner, tiny_kb, "--save", str(tmp_path), input="a\n")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"offercoach: cannot save the transcript to {tmp_path}: it is a directory, not a file\n")


def test_save_to_an_over_long_name_is_refused_before_any_question(runner, tiny_kb, tmp_path):
    target = tmp_path / ("a" * 300 + ".json")
    result = consult(runner, tiny_kb, "--save", str(target), input="a\n")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"offercoach: cannot save the transcript to {target}: File name too long\n")


def test_save_to_a_fifo_is_refused_before_any_question(runner, tiny_kb, tmp_path):
    fifo = tmp_path / "f.json"
    os.mkfifo(fifo)
    result = consult(runner, tiny_kb, "--save", str(fifo), input="a\n")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"offercoach: cannot save the transcript to {fifo}: it is a named pipe (FIFO), not a regular file\n")


def test_save_through_a_symbolic_link_keeps_the_link_and_the_file_mode(runner, tiny_kb, tmp_path):
    real, link = tmp_path / "real.json", tmp_path / "link.json"
    real.write_text("")
    real.chmod(0o640)
    link.symlink_to(real)
    result = consult(runner, tiny_kb, "--answer", "situation=b", "--no-input", "--save", str(link))
    assert result.exit_code == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads(real.read_text())["verdict"]["id"] == "honour"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_a_new_transcript_gets_the_usual_file_mode(runner, tiny_kb, tmp_path):
    saved = tmp_path / "advice.json"
    old = os.umask(0o022)
    try:
        consult(runner, tiny_kb, "--answer", "situation=b", "--no-input", "--save", str(saved))
    finally:
        os.umask(old)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o644


def test_save_never_replaces_an_existing_transcript_without_a_word(runner, tiny_kb, tmp_path):
    saved = transcript(runner, tiny_kb, tmp_path, "advice.json")
    before = saved.read_text()
    result = consult(runner, tiny_kb, "--save", str(saved), input="a\n")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"offercoach: cannot save the transcript to {saved}: the file already exists; continue "
                             f"the consultation it holds with --resume {saved}, or choose another file\n")
    assert saved.read_text() == before


# 8. Terminal escapes ---------------------------------------------------------------------------------------

ESCAPES = "\x1b[2J\x1b]0;PWNED\x07"
SHOWN = "\\x1b[2J\\x1b]0;PWNED\\x07"


def test_control_characters_in_a_resumed_transcript_are_shown_escaped(runner, tiny_kb, tmp_path):
    saved = tmp_path / "t.json"
    consult(runner, tiny_kb, "--save", str(saved), input="a\nquit\n")
    document = json.loads(saved.read_text())
    document["questions"][0]["value"] = document["answers"]["situation"] = ESCAPES
    saved.write_text(json.dumps(document))
    result = consult(runner, tiny_kb, "--resume", str(saved), input="b\n")
    assert result.exit_code == 0
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert result.stderr.startswith(f"Note: the saved answer situation={SHOWN} no longer fits the knowledge "
                                    f"('{SHOWN}' is not an allowed answer to 'situation'; allowed: a, b, unknown); "
                                    "it will be asked again if needed.\n")


def test_control_characters_typed_at_the_prompt_are_echoed_escaped(runner, tiny_kb):
    result = consult(runner, tiny_kb, input=f"{ESCAPES}\nb\n")
    assert result.exit_code == 0
    assert result.stderr == (QUESTION_1 + f"{SHOWN}\n'{SHOWN}' is not an answer to 'situation'. Allowed: a, b, "
                             "unknown (or their numbers 1-3).\nsituation> b\n\n")


def test_control_characters_in_a_transcript_explained_are_shown_escaped(runner, tiny_kb, tmp_path):
    path = transcript(runner, tiny_kb, tmp_path)
    document = json.loads(path.read_text())
    document["trace"][0]["matched"][0]["value"] = document["answers"]["situation"] = ESCAPES
    path.write_text(json.dumps(document))
    result = runner.invoke(main, ["explain", str(path), "-k", str(tiny_kb)])
    assert result.exit_code == 0
    assert result.stdout.endswith(f"    using your answer situation={SHOWN}\n")
    as_json = runner.invoke(main, ["explain", str(path), "-k", str(tiny_kb), "--format", "json"])
    assert "\x1b" not in as_json.stdout and json.loads(as_json.stdout)  # json.dumps escapes them itself


# 9. Misleading messages ------------------------------------------------------------------------------------


def test_a_transcript_with_a_byte_order_mark_is_read(runner, tiny_kb, tmp_path):
    path = transcript(runner, tiny_kb, tmp_path)
    plain = runner.invoke(main, ["explain", str(path), "-k", str(tiny_kb)])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    with_bom = runner.invoke(main, ["explain", str(path), "-k", str(tiny_kb)])
    assert (with_bom.exit_code, with_bom.stdout) == (0, plain.stdout)


def test_a_transcript_with_nul_bytes_is_not_said_to_be_cut_short(runner, tiny_kb, tmp_path):
    path = transcript(runner, tiny_kb, tmp_path)
    path.write_bytes(b"\x00" * 16 + path.read_bytes())
    result = runner.invoke(main, ["explain", str(path), "-k", str(tiny_kb)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"offercoach: {path}: not a usable offercoach transcript: it contains NUL bytes, so it "
                             "is not JSON text\n")


def test_a_transcript_broken_in_the_middle_is_not_said_to_be_cut_short(runner, tiny_kb, tmp_path):
    path = transcript(runner, tiny_kb, tmp_path)
    path.write_text(path.read_text().replace('"verdict": {', '"verdict": {,', 1))
    result = runner.invoke(main, ["explain", str(path), "-k", str(tiny_kb)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"offercoach: {path}: not a usable offercoach transcript: line 2, column 15: Expecting "
                             "property name enclosed in double quotes\n")


def test_a_plain_file_over_the_value_limit_is_not_asked_about_aliases(runner, tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "k.yaml").write_text("rules: [" + "1, " * MAX_NODES + "1]\n")
    result = runner.invoke(main, ["rules", "validate", "-k", str(kb)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"{kb / 'k.yaml'}:1:600000: error: the document holds more than {MAX_NODES} values; "
                             "split it into smaller files\n")


# The terminal ----------------------------------------------------------------------------------------------


def on_a_terminal(columns, *args, input="", plain=True, env_extra=None):
    """offercoach with standard output and standard error on a terminal `columns` wide; what it showed.

    `plain`: without colour (NO_COLOR) or pager (OFFERCOACH_PAGER empty), as the wrapping tests compare."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "OFFERCOACH_PAGER")}
    env.update({"NO_COLOR": "1", "OFFERCOACH_PAGER": ""} if plain else {})
    env.update(env_extra or {})
    process = subprocess.Popen([OFFERCOACH, *args], stdin=subprocess.PIPE, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    process.stdin.write(input.encode())
    process.stdin.close()
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError as exc:  # EIO once the process has gone and the terminal is closed
            assert exc.errno == errno.EIO
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0
    return shown.decode().replace("\r\n", "\n")


INTERACTIVE = "accepted_offer_want_out\n4\nwhy\nyes\n"


@pytest.mark.parametrize("columns", [40, 80])
def test_a_consultation_wraps_to_the_terminal(columns):
    shown = on_a_terminal(columns, "consult", input=INTERACTIVE)
    assert "Verdict: Keep your word" in shown
    too_wide = [line for line in shown.splitlines() if len(line) > columns]
    assert too_wide == []


def test_options_too_wide_for_the_terminal_go_below_their_value():
    shown = on_a_terminal(40, "consult", input=INTERACTIVE)
    assert ("  1. declined_offer_want_back\n"
            "     I turned an offer down and now want\n"
            "     that offer back\n") in shown


def test_a_wide_terminal_wraps_as_a_pipe_does(runner):
    piped = runner.invoke(main, ["consult"], input=INTERACTIVE)
    assert on_a_terminal(200, "consult", input=INTERACTIVE) == piped.stderr + piped.stdout


@pytest.mark.parametrize("command", ["consult", "explain"])
def test_help_fits_in_80_columns(runner, command):
    result = runner.invoke(main, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert [line for line in result.stdout.splitlines() if len(line) > 80] == []


def test_dash_v_is_the_version(runner):
    short, long = runner.invoke(main, ["-V"]), runner.invoke(main, ["--version"])
    assert (short.exit_code, short.stdout) == (0, long.stdout)
    assert short.stdout.startswith("offercoach, version ")


def test_rules_list_json_gives_sources_as_a_list(runner, tiny_kb):
    rows = json.loads(runner.invoke(main, ["rules", "list", "-k", str(tiny_kb), "--format", "json"]).stdout)
    assert [row["sources"] for row in rows] == [["s1"]] * 5


def test_a_json_answers_file_with_a_key_twice_is_refused(runner, tiny_kb, tmp_path):
    path = tmp_path / "answers.json"
    path.write_text('{"situation": "a", "situation": "b"}')
    result = consult(runner, tiny_kb, "--answers", str(path), "--no-input")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"offercoach: {path}: not valid JSON: the key 'situation' appears twice; keep one\n"


# Property: any line typed at the prompt --------------------------------------------------------------------

lines = st.text(st.characters(exclude_categories=("Cs",)), max_size=60).map(lambda s: s.replace("\n", " "))


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=st.lists(lines, max_size=6))
def test_any_line_typed_at_the_prompt_gets_an_answer_never_a_traceback(runner, tiny_kb, typed):
    result = consult(runner, tiny_kb, input="".join(f"{line}\n" for line in typed))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 2, 3)
    assert "Traceback" not in result.stderr
    assert all(ord(c) >= 0x20 or c == "\n" for c in result.stderr)  # control characters are shown escaped
    if result.exit_code == 0:
        assert result.stdout.startswith("Verdict: ")
    else:
        assert result.stdout == ""


# The terminal, second part: WHY summarised, a pager, colour, completion ------------------------------------

WHY_SUMMARY = """\
situation> why
I ask about 'situation' because 20 rules are waiting on the answer. Between them they
would:
  - choose the verdict: do_due_diligence, back_out_with_explanation (4 rules)
  - recommend: work-out-where-you-stand, put-culture-and-fit-first,
    check-culture-and-fit, ask-for-an-office-tour, heed-the-mismatch, look-again,
    be-fully-sure, even-the-dream-job-needs-checking, weigh-happiness-and-reputation (10
    rules)
  - conclude: asking-again-allowed, job-fell-short, commitment-at-stake,
    reputation-at-risk, genuine-sticky-situation, fit-not-first, priorities-in-order,
    checks-missing, warning-sign, not-yet-sure, due-diligence-done (14 rules)
Type 'why all' for each rule: what it already knows, what is still open, and why it
matters.
situation> """


def test_why_at_the_first_question_is_a_summary_and_why_all_the_whole(runner):
    from knowledge_bases import built_in

    from offercoach.engine.consult import consult as run_consultation
    from offercoach.engine.explanations import why_asked

    result = runner.invoke(main, ["consult"], input="why\nquit\n")
    assert result.exit_code == 3
    assert result.stderr.split("Type a number or a value; 'why', 'help', 'back' and 'quit' also work.\n", 1)[1] \
        == WHY_SUMMARY + "quit\noffercoach: stopped at your request; nothing was decided.\n"
    replies, said = iter(["why all", "quit"]), []
    with pytest.raises(Exception, match="stopped at your request"):
        run_consultation(built_in(), {}, lambda _: next(replies), said.append)
    kb = built_in()
    full = said[1]
    assert full.startswith("I ask about 'situation' because 20 rules are waiting on the answer:\n  situation-unclear:")
    assert len(full.splitlines()) > 150
    waiting = [line.split(":")[0].strip() for line in full.splitlines() if line.startswith("  ") and not
               line.startswith("   ")]
    assert len(waiting) == 20 and all(rule in kb.rules for rule in waiting)
    assert why_asked.__name__ == "why_asked"  # the web page's WHY (engine_bridge) keeps the whole text


def test_long_output_on_a_terminal_goes_through_the_pager_and_piped_output_never(runner, tmp_path):
    paged = tmp_path / "paged.txt"
    pager = {"OFFERCOACH_PAGER": f"sh -c 'cat > {paged}'", "NO_COLOR": "1"}
    piped = runner.invoke(main, ["consult"], input=INTERACTIVE)
    shown = on_a_terminal(200, "consult", input=INTERACTIVE, plain=False, env_extra=pager)
    assert paged.read_text() == piped.stdout  # more than the terminal's 24 lines: all of it to the pager
    assert shown == piped.stderr  # the dialogue only
    paged.unlink()
    assert on_a_terminal(200, "--no-pager", "consult", input=INTERACTIVE, plain=False, env_extra=pager) \
        == piped.stderr + piped.stdout
    assert not paged.exists()
    assert on_a_terminal(200, "consult", input=INTERACTIVE, env_extra={"PAGER": f"sh -c 'cat > {paged}'"}) \
        == piped.stderr + piped.stdout  # OFFERCOACH_PAGER set empty turns paging off, whatever PAGER says
    assert not paged.exists()
    assert subprocess.run([OFFERCOACH, "consult"], input=INTERACTIVE, capture_output=True, text=True, check=True,
                          env={**os.environ, **pager}).stdout == piped.stdout
    assert not paged.exists()  # piped: never paged


def test_pager_command_is_found_as_git_finds_its_own(monkeypatch):
    from offercoach.cli import _pager_command

    for variable in ("OFFERCOACH_PAGER", "PAGER"):
        monkeypatch.delenv(variable, raising=False)
    assert _pager_command() == ["less", "-FRX"]
    monkeypatch.setenv("PAGER", "more")
    assert _pager_command() == ["more"]
    monkeypatch.setenv("OFFERCOACH_PAGER", "less -R")
    assert _pager_command() == ["less", "-R"]
    monkeypatch.setenv("OFFERCOACH_PAGER", "")
    assert _pager_command() == []


HONOUR_IN_COLOUR = """\
\x1b[1;32mVerdict: Honour (honour)\x1b[0m
  Stay.
  Because: keep-word, promise, from your answers situation=a, genuine=no

Recommendations, most important first:
\x1b[1m 1. Careful\x1b[0m
    Be careful.
    Sources: Section one (s1)
    Because: agency-word-spreads, promise, from your answers situation=a, agency=yes
"""
ANSWERED = ["--answer", "situation=a", "--answer", "agency=yes", "--answer", "genuine=no", "--no-input"]


def test_color_always_emphasises_the_verdict_and_titles_and_piped_output_is_plain(runner, tiny_kb):
    coloured = runner.invoke(main, ["--color", "always", "consult", "-k", str(tiny_kb), *ANSWERED])
    assert (coloured.exit_code, coloured.stdout) == (0, HONOUR_IN_COLOUR)
    plain = runner.invoke(main, ["consult", "-k", str(tiny_kb), *ANSWERED])  # auto, not a terminal
    assert plain.stdout == HONOUR_IN_COLOUR.replace("\x1b[1;32m", "").replace("\x1b[1m", "").replace("\x1b[0m", "")
    never = runner.invoke(main, ["--color", "never", "consult", "-k", str(tiny_kb), *ANSWERED])
    assert never.stdout == plain.stdout
    assert runner.invoke(main, ["--color", "always", "consult", "-k", str(tiny_kb), *ANSWERED],
                         env={"NO_COLOR": "1"}).stdout == HONOUR_IN_COLOUR  # asked for by name


def test_colour_on_a_terminal_unless_no_color_or_never(tiny_kb):
    args = ["consult", "-k", str(tiny_kb), *ANSWERED]
    quiet = {"OFFERCOACH_PAGER": ""}
    assert on_a_terminal(200, *args, plain=False, env_extra=quiet) == HONOUR_IN_COLOUR
    assert "\x1b" not in on_a_terminal(200, *args, plain=False, env_extra={**quiet, "NO_COLOR": "1"})
    assert "\x1b" not in on_a_terminal(200, "--color", "never", *args, plain=False, env_extra=quiet)


def test_an_escape_from_a_file_stays_escaped_in_colour(runner, tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "kb.yaml").write_text(TINY_KB.replace("title: Careful", 'title: "Care\\e]0;PWNED\\aful"'))
    shown = runner.invoke(main, ["--color", "always", "consult", "-k", str(kb), *ANSWERED]).stdout
    assert "\x1b[1m 1. Care\\x1b]0;PWNED\\x07ful\x1b[0m\n" in shown


def test_completion_offers_ids_and_paths_and_never_prints(capsys):
    import click

    from offercoach.cli import explain, show

    def offered(command, name, incomplete, params=None):
        param = next(p for p in command.params if p.name == name)
        ctx = click.Context(command)
        ctx.params.update(params or {})
        return [(item.value, item.type) for item in param.shell_complete(ctx, incomplete)]

    assert offered(show, "item_id", "agency-w") == [("agency-word-spreads", "plain")]
    assert ("situation", "plain") in offered(show, "item_id", "situ")  # questions too
    assert offered(explain, "why_not_id", "withdraw-a") == [("withdraw-and-ask-again", "plain")]
    assert offered(explain, "rule_id", "keep-your-word") == [("keep-your-word-when-tempted", "plain")]  # rules only
    assert offered(explain, "recommendation", "keep-your-w") == [("keep-your-word", "plain")]
    assert offered(explain, "transcript", "adv") == [("adv", "file")]
    from offercoach.cli import consult as consult_command

    for option in ("save", "resume", "answers_file"):
        assert offered(consult_command, option, "my") == [("my", "file")]
    assert offered(show, "item_id", "", {"knowledge": ("/no/such/dir",)}) == []  # unusable knowledge: nothing
    assert capsys.readouterr() == ("", "")
