"""Hostile input: every case gives one clear message and the contract's exit code, runs nothing, loses nothing."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from knowledge_bases import built_in

from offercoach.cli import main
from offercoach.engine.consult import consult
from offercoach.engine.errors import AnswerError, KnowledgeError
from offercoach.engine.load import load_knowledge
from offercoach.engine.yaml_source import MAX_FILE_BYTES

ROOT = Path(__file__).resolve().parent.parent


def knowledge(tmp_path, content: bytes) -> Path:
    directory = tmp_path / "kb"
    directory.mkdir(exist_ok=True)
    (directory / "k.yaml").write_bytes(content)
    return directory


def validate(runner, directory):
    result = runner.invoke(main, ["rules", "validate", "-k", str(directory)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stderr


BOMB = b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n".encode() for p, n in zip("abcdef", "bcdefg"))

KNOWLEDGE_CASES = {
    "tab": (b"rules:\n\t- id: x\n", "2:1: error: not valid YAML: a tab character; YAML indents with spaces only"),
    "syntax": (b"rules: [\n", ("2:1: error: not valid YAML: did not find expected node content while parsing a "
                              "flow node that starts at line 2, column 1")),
    "not utf-8": (b"rules: []\n\xff\xfe garbage\n", "2:1: error: the file is not UTF-8 text (save it as UTF-8)"),
    "nul byte": (b"rules: [a\x00]\n", ("1:10: error: not valid YAML: the character #x0000 is not allowed in a YAML "
                                      "file")),
    "alias bomb": (BOMB, ("1:14: error: the document expands to more than 200000 values (aliases repeated too "
                         "often?); split or simplify it")),
    "deep nesting": (b"a: " + b"[" * 5000 + b"]" * 5000, ("1:1003: error: not valid YAML: exceeded maximum "
                     "nesting depth while increasing flow level that starts at line 1, column 1003")),
    "top-level scalar": (b"just words\n", ("1:1: error: a knowledge file must be a mapping with keys such as "
                                          "'questions:' or 'rules:'")),
    "top-level list": (b"- rules\n", ("1:1: error: a knowledge file must be a mapping with keys such as "
                                     "'questions:' or 'rules:'")),
    "python object": (b"rules:\n  - id: x\n    title: !!python/object/apply:os.system ['touch RAN']\n",
                      ("3:12: error: the tag tag:yaml.org,2002:python/object/apply:os.system is not allowed; "
                      "write a plain list")),
    "python name": (b"rules: !!python/name:os.system\n", ("1:8: error: the tag tag:yaml.org,2002:python/name:os.system "
                                                         "is not allowed; write plain values")),
    "deep conditions": (b"rules:\n  - id: x\n    title: T\n    when: [" + b"{not: " * 20 + b"{fact: f}" + b"}" * 20
                        + b"]\n    then: {verdict: v}\n    sources: [s]\n    rationale: R.\n",
                        "4:114: error: rule 'x': conditions nested more than 16 deep; split the rule"),
}


@pytest.mark.parametrize("case", KNOWLEDGE_CASES, ids=list(KNOWLEDGE_CASES))
def test_hostile_knowledge_files(runner, tmp_path, case, monkeypatch):
    content, message = KNOWLEDGE_CASES[case]
    monkeypatch.chdir(tmp_path)
    directory = knowledge(tmp_path, content)
    code, stderr = validate(runner, directory)
    assert (code, stderr.splitlines()[0]) == (1, f"{directory / 'k.yaml'}:{message}")
    assert not (tmp_path / "RAN").exists()


def test_a_file_over_the_size_cap_is_refused_before_parsing(runner, tmp_path):
    directory = knowledge(tmp_path, b"# " + b"x" * MAX_FILE_BYTES)
    assert validate(runner, directory) == (1, (f"{directory / 'k.yaml'}: error: the file is larger than "
                                              f"{MAX_FILE_BYTES} bytes\n"))


def test_a_multi_megabyte_line_under_the_cap_is_read(runner, tmp_path):
    directory = knowledge(tmp_path, b"# " + b"x" * (MAX_FILE_BYTES - 100) + b"\n")
    assert validate(runner, directory)[0] == 1  # an empty layer has no rules: a located error, not a crash


def test_an_empty_file_adds_nothing(tmp_path):
    (tmp_path / "empty.yaml").write_bytes(b"")
    assert len(load_knowledge(["default", str(tmp_path)]).rules) == len(built_in().rules)


def test_knowledge_directories_that_cannot_be_used(runner, tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert validate(runner, a_file) == (1, f"{a_file}: error: the knowledge directory is not a directory\n")
    loops = tmp_path / "loops"
    loops.mkdir()
    (loops / "loop.yaml").symlink_to(loops / "loop.yaml")
    assert validate(runner, loops) == (1, (f"{loops / 'loop.yaml'}: error: a broken or looping symbolic link; "
                                          "remove it or fix it\n"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").symlink_to("/etc/hostname")
    assert validate(runner, outside) == (1, (f"{outside / 'secret.yaml'}: error: links outside the knowledge "
                                            "directory; copy the file in\n"))
    odd = tmp_path / "odd"
    (odd / "folder.yaml").mkdir(parents=True)
    assert validate(runner, odd) == (1, (f"{odd / 'folder.yaml'}: error: not a regular file; knowledge files are "
                                        "YAML files\n"))


ANSWER_CASES = {
    "nested value": ("situation: {a: 1}\n", ("'{\"a\": 1}' is not an allowed answer to 'situation'; allowed: "
                                            "declined_offer_want_back, accepted_offer_want_out, weighing_offer, unknown")),
    "number": ("via_agency: 3\n", "'3' is not an allowed answer to 'via_agency'; allowed: yes, no, unknown"),
    "boolean": ("via_agency: true\n", "'true' is not an allowed answer to 'via_agency'; allowed: yes, no, unknown"),
    "list": ("[situation]\n", ("{path}: the answers file must be a mapping of question id to value, e.g. "
                              "'situation: weighing_offer'")),
    "unknown question": ("situaton: weighing_offer\n", ("unknown question 'situaton'; did you mean 'situation'? "
                         "(known questions: situation, reason, accepted_other_offer, genuine_situation, priority, "
                         "assessed_culture_fit, office_tour, signals_match, certainty, started_job, "
                         "accepted_before_declining, via_agency, dream_company)")),
    "bad yaml": ("situation: [\n", ("{path}:2:1: error: not valid YAML: did not find expected node content while "
                                   "parsing a flow node that starts at line 2, column 1")),
}


@pytest.mark.parametrize("case", ANSWER_CASES, ids=list(ANSWER_CASES))
def test_hostile_answers_files_exit_2(runner, tmp_path, case):
    text, message = ANSWER_CASES[case]
    path = tmp_path / "answers.yaml"
    path.write_text(text)
    result = runner.invoke(main, ["consult", "--answers", str(path), "--no-input"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"offercoach: {message.replace('{path}', str(path))}\n"


def test_garbage_bytes_as_answers_exit_2(runner, tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_bytes(os.urandom(64) + b"\xff")
    result = runner.invoke(main, ["consult", "--answers", str(path), "--no-input"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"offercoach: {path}:")


def test_bare_yes_and_no_answers_are_the_words(runner):
    result = runner.invoke(main, ["consult", "--answer", "situation=accepted_offer_want_out", "--answer",
                                  "via_agency=yes", "--answer", "started_job=no", "--no-input", "--format", "json"])
    assert json.loads(result.stdout)["answers"]["via_agency"] == "yes"


def test_non_ascii_and_very_long_answers_are_asked_again(runner):
    result = runner.invoke(main, ["consult"], input="sí señor\n" + "y" * 100_000 + "\n4\n")
    assert result.exit_code == 0
    assert "'sí señor' is not an answer to 'situation'." in result.stderr
    assert f"'{'y' * 37}...' is not an answer to 'situation'." in result.stderr


def test_a_transcript_edited_by_hand_is_refused(runner, tmp_path):
    made = runner.invoke(main, ["consult", "--answer", "situation=weighing_offer", "--no-input", "--format", "json"])
    doc = json.loads(made.stdout)
    doc["trace"][0]["matched"] = [{"fact": "x", "value": "y"}]
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc))
    result = runner.invoke(main, ["explain", str(path)])
    assert (result.exit_code, result.stderr) == (2, (f"offercoach: {path}: not a usable offercoach transcript: "
                                                    "'trace' is missing or malformed\n"))


def test_writing_a_transcript_killed_midway_leaves_the_previous_file_intact(tmp_path):
    target, started = tmp_path / "advice.json", tmp_path / "started"
    target.write_text("previous")
    script = (f"import os, time\nfrom offercoach.engine.transcript import write_atomic\n"
              f"def slow(fd):\n    open({str(started)!r}, 'w').close()\n    time.sleep(60)\n"
              f"os.fsync = slow\nwrite_atomic({str(target)!r}, 'new' * 100000)\n")
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 30
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert started.exists()
    assert target.read_text() == "previous"


def test_no_code_in_engine_or_cli_can_execute_what_a_file_says():
    forbidden = re.compile(r"(?<![.\w])(eval|exec|compile)\(|\bpickle\b|\bmarshal\b|yaml\.(load|unsafe_load|full_load)\(|"
                           r"Loader=yaml\.(Loader|FullLoader|UnsafeLoader)|__import__|os\.system|subprocess")
    sources = [ROOT / "cli.py", *sorted((ROOT / "engine").glob("*.py"))]
    # The one exception: the pager, the person's own command from the environment (OFFERCOACH_PAGER, PAGER), as
    # git runs it; never anything a knowledge, answers or transcript file says.
    pager = {("cli.py", "import subprocess"),
             ("cli.py", "pager = subprocess.Popen(command, stdin=subprocess.PIPE, env=environment)")}
    offending = [f"{p.name}:{n}" for p in sources for n, line in enumerate(p.read_text().splitlines(), 1)
                 if forbidden.search(line) and (p.name, line.strip()) not in pager]
    assert offending == []


yaml_documents = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(["rules", "questions", "id", "when", "then", "title", "x",
                                                             "answer", "is", "not", "values", "verdicts", "facts"]),
                                            inner, max_size=5)),
    max_leaves=25)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(yaml_documents.map(lambda d: yaml.safe_dump(d).encode()), st.binary(max_size=300)))
def test_any_document_or_bytes_gives_knowledge_or_located_problems(tmp_path, content):
    layer = tmp_path / "fuzz"
    layer.mkdir(exist_ok=True)
    (layer / "k.yaml").write_bytes(content)
    try:
        load_knowledge(["default", str(layer)])
    except KnowledgeError as exc:
        assert exc.problems
        assert all(p.path.startswith(str(layer)) for p in exc.problems)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.one_of(st.deferred(lambda: st.sampled_from(list(built_in().questions))),
                                 st.text(max_size=6)),
                       st.one_of(st.sampled_from(["yes", "no", "unknown", "weighing_offer", "salary"]),
                                 st.integers(), st.none(), st.lists(st.text(max_size=3), max_size=2)),
                       max_size=6))
def test_any_answers_give_a_result_or_an_answer_error(answers):
    try:
        outcome = consult(built_in(), answers, None, lambda _: None)
    except AnswerError as exc:
        assert str(exc)
    else:
        assert outcome.verdict in built_in().verdicts


def test_an_unreadable_file_is_reported_not_raised(runner, tiny_kb, monkeypatch):
    # As root every file is readable, so the refusal the operating system would give is simulated.
    real = os.open

    def refuse(path, *args, **kwargs):
        if Path(path).name == "kb.yaml":
            raise PermissionError(13, "Permission denied")
        return real(path, *args, **kwargs)
    monkeypatch.setattr(os, "open", refuse)
    assert validate(runner, tiny_kb) == (1, f"{tiny_kb / 'kb.yaml'}: error: cannot read the file: Permission denied\n")


def test_rules_test_shows_progress_when_stderr_is_a_terminal(tmp_path):
    import pty

    leader, follower = pty.openpty()
    command = Path(sys.executable).parent / "offercoach"
    done = subprocess.run([str(command), "rules", "test"], stdout=subprocess.PIPE, stderr=follower, check=False,
                          cwd=tmp_path, env={k: v for k, v in os.environ.items() if k != "OFFERCOACH_KNOWLEDGE"})
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert done.returncode == 0
    assert b"\r1/24 scenarios" in shown and b"\r24/24 scenarios" in shown
    assert b"/24 scenarios" not in done.stdout


def test_names_too_long_for_the_file_system_are_reported(runner):
    long_name = "a" * 300
    knowledge_dir = runner.invoke(main, ["rules", "validate", "-k", long_name])
    assert (knowledge_dir.exit_code, knowledge_dir.stderr) == (
        1, f"{long_name}: error: cannot list the directory: File name too long\n")
    answers = runner.invoke(main, ["consult", "--answers", long_name, "--no-input"])
    assert (answers.exit_code, answers.stderr) == (
        2, f"offercoach: {long_name}: cannot read the answers file: File name too long\n")
