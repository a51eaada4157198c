"""Reading questionnaire files: YAML with line numbers, strict validation, all problems in one pass.

A file is loaded whole or not at all. `load_dir` keeps the good files and reports the bad ones.
"""

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.questionnaires.checks import cross_checks
from app.questionnaires.definition import QuestionnaireDef

_FILE_NAME = re.compile(r"^(?P<key>[a-z0-9]+(?:-[a-z0-9]+)*)\.v(?P<version>[1-9][0-9]*)\.yaml$")
MAX_FILE_BYTES = 2 * 1024 * 1024


# libyaml's parser when the machine has it (ten times faster); the pure-Python one otherwise.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type, misc]
    """YAML 1.2 booleans: only true/false. YAML 1.1 would read the answer `no` as False and `yes` as True."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


@dataclass(frozen=True)
class Loaded:
    path: Path
    definition: QuestionnaireDef
    content_hash: str  # SHA-256 of the file's bytes


@dataclass
class Catalogue:
    loaded: dict[tuple[str, int], Loaded] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def latest(self, key: str) -> Loaded | None:
        versions = [v for (k, v) in self.loaded if k == key]
        return self.loaded[(key, max(versions))] if versions else None


class _Parsed:
    """Plain Python data plus the line of every path in it (1-based)."""

    def __init__(self) -> None:
        self.lines: dict[tuple[Any, ...], int] = {}
        self.problems: list[tuple[tuple[Any, ...], str]] = []

    def build(self, node: yaml.Node, path: tuple[Any, ...], loader: _Loader) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node)
                if not isinstance(key, str):
                    key = str(key)
                if key in result:
                    self.problems.append(((*path, key), f"'{key}' is given twice"))
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, (*path, key), loader)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), loader) for i, item in enumerate(node.value)]
        return loader.construct_object(node)

    def line_of(self, path: tuple[Any, ...]) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def _pydantic_path(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # Union members and tagged types add segments that are not keys of the file (e.g. 'list[...]').
    return tuple(p for p in loc if isinstance(p, int) or (isinstance(p, str) and not any(c in p for c in "[]()")))


def parse(text: str, *, name: str) -> tuple[QuestionnaireDef | None, list[Problem]]:
    """Validate one file's text. Returns the definition, or None and every problem found."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [Problem(name, mark.line + 1 if mark else None, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    finally:
        loader.dispose()
    if node is None:
        return None, [Problem(name, None, "the file is empty")]
    parsed = _Parsed()
    data = parsed.build(node, (), _Loader(""))
    problems = [Problem(name, parsed.line_of(path), message) for path, message in parsed.problems]
    if not isinstance(data, dict):
        return None, [*problems, Problem(name, 1, "the file must be a mapping with key, version, title, sections")]
    definition = None
    try:
        definition = QuestionnaireDef.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            path = _pydantic_path(tuple(error["loc"]))
            what = ".".join(str(p) for p in path) or "file"
            message = "unknown key (a typo?)" if error["type"] == "extra_forbidden" else error["msg"]
            problems.append(Problem(name, parsed.line_of(path), f"{what}: {message}"))
    problems += [Problem(name, parsed.line_of(path), message) for path, message in cross_checks(data)]
    match = _FILE_NAME.match(Path(name).name)
    if match is None:
        problems.append(Problem(name, None, "file name must be <key>.v<version>.yaml"))
    elif isinstance(data.get("key"), str) and (match["key"], int(match["version"])) != (data.get("key"), data.get("version")):
        problems.append(Problem(name, parsed.line_of(("key",)), f"file name says {match['key']} v{match['version']}, "
                                f"the file says {data.get('key')} v{data.get('version')}"))
    problems.sort(key=lambda p: (p.line or 0, p.message))
    return (None, problems) if problems else (definition, [])


def load_file(path: Path) -> tuple[Loaded | None, list[Problem]]:
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(name, None, f"cannot read: {exc.strerror}")]
    if len(raw) > MAX_FILE_BYTES:
        return None, [Problem(name, None, f"larger than {MAX_FILE_BYTES} bytes")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Problem(name, None, "not UTF-8 text")]
    definition, problems = parse(text, name=name)
    if definition is None:
        return None, problems
    return Loaded(path=path, definition=definition, content_hash=hashlib.sha256(raw).hexdigest()), []


def load_paths(paths: Iterable[Path]) -> Catalogue:
    catalogue = Catalogue()
    for path in sorted(paths):
        loaded, problems = load_file(path)
        catalogue.problems += problems
        if loaded is not None:
            key = (loaded.definition.key, loaded.definition.version)
            if key in catalogue.loaded:
                catalogue.problems.append(Problem(str(path), None, f"{key[0]} v{key[1]} is also defined in "
                                                  f"{catalogue.loaded[key].path}"))
            else:
                catalogue.loaded[key] = loaded
    return catalogue


def load_dir(directory: Path) -> Catalogue:
    """Every `*.yaml` file in `directory`; bad files are reported in `problems` and left out."""
    return load_paths(directory.glob("*.yaml"))
