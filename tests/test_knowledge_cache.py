"""Knowledge loaded before comes from the cache, exactly as it was loaded, and a bad or stale entry is never used."""

import os
from pathlib import Path

import pytest
from knowledge_bases import TINY_KB

from offercoach.engine import knowledge_cache, load
from offercoach.engine.errors import KnowledgeError
from offercoach.engine.load import load_knowledge


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("OFFERCOACH_CACHE", str(folder))
    return folder


def _unparsable(monkeypatch):
    def refuse(data, name):
        raise AssertionError(f"{name} was parsed")
    monkeypatch.setattr(load, "parse_yaml_bytes", refuse)


def test_a_second_load_comes_from_the_cache_and_equals_the_first_field_for_field(cache, monkeypatch):
    first = load_knowledge(["default"])
    assert len(list(cache.glob("*.json"))) == 1
    _unparsable(monkeypatch)
    again = load_knowledge(["default"])
    assert knowledge_cache.encode(again) == knowledge_cache.encode(first)  # positions and 'at' included
    assert again == first
    assert again.rules["you-may-ask-again"].where == first.rules["you-may-ask-again"].where


def test_changed_bytes_are_a_new_entry(cache, tiny_kb, monkeypatch):
    load_knowledge([str(tiny_kb)])
    (tiny_kb / "kb.yaml").write_text(TINY_KB.replace("Keep your word", "Keep your promise"))
    changed = load_knowledge([str(tiny_kb)])
    assert changed.rules["keep-word"].title == "Keep your promise"
    assert len(list(cache.glob("*.json"))) == 2


def test_a_damaged_entry_is_a_miss_and_is_written_again(cache, tiny_kb):
    fresh = load_knowledge([str(tiny_kb)])
    (entry,) = cache.glob("*.json")
    for damage in ("{", '{"format": 1, "knowledge": {"item": "Nothing", "fields": {}}}', "[]", "\\u0000"):
        entry.write_text(damage)
        assert load_knowledge([str(tiny_kb)]) == fresh
        assert knowledge_cache.decode(entry.read_text()) == fresh


def test_knowledge_with_problems_is_never_stored(cache, tiny_kb):
    (tiny_kb / "kb.yaml").write_text(TINY_KB + "\nbogus: []\n")
    with pytest.raises(KnowledgeError):
        load_knowledge([str(tiny_kb)])
    assert not cache.exists() or not list(cache.glob("*.json"))


def test_off_writes_nothing(tmp_path, monkeypatch, tiny_kb):
    monkeypatch.setenv("OFFERCOACH_CACHE", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    load_knowledge([str(tiny_kb)])
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_folder_that_cannot_be_written_leaves_loading_alone(tmp_path, monkeypatch, tiny_kb):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    monkeypatch.setenv("OFFERCOACH_CACHE", str(folder))
    assert load_knowledge([str(tiny_kb)]).verdicts


def test_a_cache_path_that_is_a_file_leaves_loading_alone(tmp_path, monkeypatch, tiny_kb):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("OFFERCOACH_CACHE", str(blocker / "cache"))
    assert load_knowledge([str(tiny_kb)]).verdicts


def test_only_the_newest_entries_are_kept(cache, tiny_kb, monkeypatch):
    monkeypatch.setattr(knowledge_cache, "KEEP", 2)
    for n in range(4):
        (tiny_kb / "kb.yaml").write_text(TINY_KB + f"\n# edit {n}\n")
        load_knowledge([str(tiny_kb)])
    assert len(list(cache.glob("*.json"))) == 2


def test_the_default_folder_follows_xdg_then_home(monkeypatch, tmp_path):
    monkeypatch.delenv("OFFERCOACH_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert knowledge_cache.folder() == Path(tmp_path) / "offercoach"
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")
    assert knowledge_cache.folder() == tmp_path / "h" / ".cache" / "offercoach"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert knowledge_cache.folder() == tmp_path / "h" / ".cache" / "offercoach"


def test_a_killed_writes_leftover_goes_once_it_is_old_and_a_fresh_one_stays(cache, tiny_kb):
    load_knowledge(["default"])
    old, fresh = cache / ".entry.json.0123abcd.tmp", cache / ".other.json.4567cdef.tmp"
    for leftover in (old, fresh):
        leftover.write_text("{")
    os.utime(old, (0, 0))
    load_knowledge([str(tiny_kb)])
    assert not old.exists() and fresh.exists()


def test_without_a_home_to_find_there_is_no_cache_rather_than_one_in_the_working_directory(monkeypatch):
    monkeypatch.delenv("OFFERCOACH_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    monkeypatch.setattr(knowledge_cache.os.path, "expanduser", lambda path: path)
    assert knowledge_cache.folder() is None
