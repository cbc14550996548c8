"""Every path and every setting that README.md, BENCHMARKS.md and docs/ name exists: a file or folder of the
repository (or a link target beside the document), and a variable that the binary declares or
that something in the repository reads. A doc that names a renamed file or a removed setting
fails here, naming the document, the line and the name."""
import functools
import os
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "BENCHMARKS.md", *sorted((ROOT / "docs").glob("*.md"))]

# Folders a build or a run makes (the tool venvs are .venv, .venv-sam, ...), not kept in the
# repository: a path under one is not looked for.
BUILD_OUTPUTS = ("target", ".venv", ".aws-sam")
EXTENSIONS = (".rs", ".py", ".sh", ".md", ".json", ".toml", ".yaml", ".yml", ".txt", ".lock")
PATH_LIKE = re.compile(r"^[\w.-]+(?:/[\w.*-]+)+/?$|^[\w-]+(?:" + "|".join(re.escape(e) for e in EXTENSIONS) + ")$")
CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
VARIABLE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
# Variables of the platforms and tools the docs explain, read by them, not by this repository.
EXTERNAL_PREFIXES = ("AWS_", "_X_AMZN", "CARGO_", "SAM_CLI_")
EXTERNAL = {"RUST_LOG", "RUST_BACKTRACE", "PATH", "HOME", "TMPDIR", "DOCKER_HOST",
            "ALL_OLD"}  # DynamoDB's ReturnValues


def references(pattern, text):
    for number, line in enumerate(text.splitlines(), start=1):
        for match in pattern.finditer(line):
            yield number, match.group(1)



def is_path(name):
    """A repository path: under one of its top-level entries, or a file name with an
    extension (a metric namespace or an address range is not)."""
    first = name.removeprefix("./").split("/")[0]
    return (ROOT / first).exists() and "/" in name or name.endswith(EXTENSIONS) or built(first)


def built(folder):
    return folder.startswith(BUILD_OUTPUTS)


@functools.cache
def file_names():
    """The names of the repository's files, build outputs and tool venvs left out."""
    names = set()
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [s for s in subfolders if s != ".git" and not built(s)]
        names.update(files)
    return names


def path_exists(doc, name):
    name = name.rstrip("/").removeprefix("./")
    if built(name.split("/")[0]):
        return True
    if "/" not in name:
        # A bare file name, as in a table whose row names the folder: some file has it.
        return name in file_names() or (doc.parent / name).exists()
    candidates = [ROOT / name, doc.parent / name]
    return any(list(ROOT.glob(name)) if "*" in name else c.exists() for c in candidates)


def declared_variables():
    """What the binary declares (clap's `env = "..."`) and what scripts, the Makefile, the
    tests and the bench read or set."""
    sources = [*ROOT.glob("src/**/*.rs"), *ROOT.glob("scripts/*"), ROOT / "Makefile",
               *ROOT.glob("tests/**/*.rs"), *ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/**/*.py"),
               *ROOT.glob("bench/**/*.rs"), *ROOT.glob("model/**/*.rs"), ROOT / "template.yaml", ROOT / "Cargo.toml",
               ROOT / "sam-local-env.json", *ROOT.glob("deploy/**/*.py")]
    names = set()
    for source in sources:
        if source.is_file() and source != pathlib.Path(__file__).resolve():
            names.update(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", source.read_text(errors="replace")))
    return names


def test_every_path_named_in_the_readme_and_docs_exists():
    missing = []
    for doc in DOCS:
        text = doc.read_text()
        named = [(n, c) for n, c in references(CODE, text) if PATH_LIKE.match(c) and is_path(c)]
        named += [(n, target) for n, target in references(LINK, text) if "://" not in target]
        for number, name in named:
            if "<" in name or name.startswith(("/", "~", "http")):
                continue
            if not path_exists(doc, name):
                missing.append(f"{doc.relative_to(ROOT)}:{number}: {name}")
    assert not missing, "paths named in the docs that do not exist:\n" + "\n".join(missing)


def test_every_setting_named_in_the_readme_and_docs_exists():
    known = declared_variables()
    unknown = []
    for doc in DOCS:
        for number, code in references(CODE, doc.read_text()):
            for word in re.findall(r"[A-Z][A-Z0-9_]+", code):
                assignment = code.startswith(word) or f"{word}=" in code or code == word
                if not VARIABLE.match(word) or not assignment:
                    continue
                if word in known or word in EXTERNAL or word.startswith(EXTERNAL_PREFIXES):
                    continue
                unknown.append(f"{doc.relative_to(ROOT)}:{number}: {word}")
    assert not unknown, "settings named in the docs that nothing declares or reads:\n" + "\n".join(unknown)


def test_the_check_sees_a_missing_path_and_an_unknown_setting():
    """The two checks above, on a document that names what does not exist."""
    doc = ROOT / "docs" / "example.md"
    assert not path_exists(doc, "src/no_such_module.rs")
    assert not path_exists(doc, "no_such_script.sh")
    assert path_exists(doc, "src/main.rs") and path_exists(doc, "API.md")
    assert not is_path("ImageBuilder/CancelLifecycleExecution") and not is_path("127.0.0.0/8")
    assert "NO_SUCH_SETTING_EVER" not in declared_variables()
    assert "IDEMPOTENCY_TTL_SECONDS" in declared_variables()
