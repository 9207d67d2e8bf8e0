"""The Spanish catalog: complete, compiled, and covering every string a person reads.

Every user-facing string ships in English and Spanish (DESIGN.md, Languages). These tests
are what make "a new English string without a Spanish one" fail CI:

- the committed catalogs have no untranslated or fuzzy entry, and their compiled .mo
  files are what msgfmt makes of them today (a .po edited without recompiling fails);
- extracting the strings from the code again finds nothing the catalog lacks;
- a template holds no readable text outside {% translate %} / {% blocktranslate %}.

They need GNU gettext's msgfmt, msgmerge, msgattrib and xgettext (Debian's `gettext`,
installed by scripts/install-test-tools).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
TEMPLATES = ROOT / "templates"

# What makemessages reads, and what it must skip. To update the catalogs by hand:
#   DEBUG=true .venv/bin/python manage.py makemessages -l es --no-obsolete \
#     --ignore='.venv/*' --ignore='node_modules/*' --ignore='bench/*' --ignore='tests/*' \
#     --ignore='staticfiles/*' --ignore='test-artifacts/*'
#   (and the same with -d djangojs), then translate and compile each .po with
#   msgfmt --check -o django.mo django.po
# devtools (the offline Stripe stand-in) is read too: its app name is marked, and if
# its pages ever mark their text, the Spanish stand-in checkout needs it translated.
IGNORED = [".venv/*", "node_modules/*", "bench/*", "tests/*", "staticfiles/*", "test-artifacts/*"]


def _tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install Debian's gettext (scripts/install-test-tools)")
    return path


def _run(*command, cwd=ROOT, env=None):
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _catalogs(locale_dir):
    return sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))


def _problems(po):
    """The msgfmt statistics of a .po, and its untranslated and fuzzy entries."""
    result = _run(_tool("msgfmt"), "--check", "--statistics", "-o", os.devnull, str(po))
    assert result.returncode == 0, result.stderr
    statistics = result.stderr.strip()
    entries = ""
    if "untranslated" in statistics or "fuzzy" in statistics:
        for option in ("--untranslated", "--only-fuzzy"):
            listed = _run(_tool("msgattrib"), option, "--no-obsolete", str(po))
            entries += listed.stdout
    return statistics, entries


def test_it_has_a_spanish_catalog():
    assert (LOCALE / "es" / "LC_MESSAGES" / "django.po").is_file()
    assert (LOCALE / "es" / "LC_MESSAGES" / "django.mo").is_file()


@pytest.mark.parametrize("po", _catalogs(LOCALE), ids=lambda po: str(po.relative_to(LOCALE)))
def test_it_translates_every_entry(po):
    statistics, entries = _problems(po)
    assert "untranslated" not in statistics and "fuzzy" not in statistics, (
        f"{po.relative_to(ROOT)}: {statistics}\n{entries}"
    )


@pytest.mark.parametrize("po", _catalogs(LOCALE), ids=lambda po: str(po.relative_to(LOCALE)))
def test_it_keeps_the_compiled_catalog_up_to_date(po, tmp_path):
    compiled = tmp_path / "compiled.mo"
    result = _run(_tool("msgfmt"), "--check", "-o", str(compiled), str(po))
    assert result.returncode == 0, result.stderr
    committed = po.with_suffix(".mo")
    assert committed.is_file(), f"{committed.relative_to(ROOT)} is missing: compile {po.name}"
    assert compiled.read_bytes() == committed.read_bytes(), (
        f"{committed.relative_to(ROOT)} is not what {po.name} compiles to: "
        f"run msgfmt --check -o {committed.relative_to(ROOT)} {po.relative_to(ROOT)}"
    )


def test_it_uses_two_plural_forms_in_spanish():
    # Spanish as donors read it: "1 donante", "2 donantes", "1000000 donantes".
    header = (LOCALE / "es" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in header


# makemessages writes into the `locale` folder beside the code it reads, whatever
# LOCALE_PATHS says, so it runs on a copy of the sources with a copy of the catalogs:
# the committed ones are never touched.
def _copy_sources(target):
    skipped = shutil.ignore_patterns(
        ".*", "__pycache__", "*.sqlite3", "var", *(pattern.split("/")[0] for pattern in IGNORED)
    )
    shutil.copytree(ROOT, target, ignore=skipped)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """A copy of the catalogs, updated with the strings the code marks today, and what
    makemessages said (xgettext's warnings included)."""
    for tool in ("xgettext", "msgmerge", "msguniq", "msgattrib"):
        _tool(tool)
    copy = tmp_path_factory.mktemp("extract") / "site"
    _copy_sources(copy)
    env = {
        **os.environ,
        "DEBUG": "true",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "x"),
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", "x"),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", "x"),
        "STRIPE_PRODUCT_ID": os.environ.get("STRIPE_PRODUCT_ID", "x"),
        "DJANGO_SETTINGS_MODULE": "oca_site.settings",
    }
    ignores = [f"--ignore={pattern}" for pattern in IGNORED]
    output = ""
    for domain in ("django", "djangojs"):
        command = ["manage.py", "makemessages", "-l", "es", "-d", domain, "--no-obsolete"]
        result = _run(sys.executable, *command, *ignores, cwd=copy, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        output += result.stdout + result.stderr
    return copy / "locale", output


def test_it_has_a_translation_for_every_marked_string(extracted):
    copy, _ = extracted
    for po in _catalogs(copy):
        statistics, entries = _problems(po)
        assert "untranslated" not in statistics and "fuzzy" not in statistics, (
            f"Strings marked in the code have no Spanish yet ({statistics}). Run makemessages "
            f"(see the top of {Path(__file__).name}), translate them, compile.\n{entries}"
        )


def test_it_has_the_catalogs_the_code_needs(extracted):
    copy, _ = extracted
    assert [po.relative_to(copy) for po in _catalogs(copy)] == [
        po.relative_to(LOCALE) for po in _catalogs(LOCALE)
    ]


def test_it_has_no_entry_the_code_no_longer_uses(extracted):
    # The extracted copy dropped what no code marks any more (--no-obsolete); the
    # committed catalog should not carry it either, or translators work for nothing.
    copy, _ = extracted
    for po in _catalogs(LOCALE):
        fresh = copy / po.relative_to(LOCALE)
        result = _run(
            _tool("msgcmp"), "-N", "--use-untranslated", "--use-fuzzy", str(fresh), str(po)
        )
        assert result.returncode == 0, (
            f"{po.relative_to(ROOT)} has entries no code uses; run makemessages with "
            f"--no-obsolete.\n{result.stderr}"
        )


def test_it_marks_no_string_two_ways(extracted):
    # xgettext merges a msgid used alone and with a plural into one plural entry, and
    # gettext() then finds no translation for the one used alone: it stays English.
    # Use a context ({% translate "..." context "..." %}) or reword one of them.
    _, output = extracted
    assert "warning" not in output.lower(), output


# --- Templates: no readable text outside the translation tags -----------------------

# What may stand outside the translation tags: names and signs that read the same in
# every language. Compared as whole words.
NOT_TRANSLATED = {"OCA", "Stripe", "Facebook", "LinkedIn", "X"}

COMMENTS = re.compile(r"{%\s*comment\b.*?%}.*?{%\s*endcomment\s*%}|{#.*?#}|<!--.*?-->", re.S)
BLOCKTRANSLATE = re.compile(
    r"{%\s*blocktrans(?:late)?\b.*?%}.*?{%\s*endblocktrans(?:late)?\s*%}", re.S
)
# Blocks that hold class names or head markup, not text.
NON_TEXT_BLOCK = re.compile(
    r"{%\s*block\s+(?:bodyclass|extrastyle|extrahead)\s*%}.*?{%\s*endblock\b.*?%}", re.S
)
TEMPLATE_TAG = re.compile(r"{%.*?%}|{{.*?}}", re.S)
# A string literal given to a filter or assigned in a tag, such as default:"Someone" or
# with label="Donate": text that is shown, so it must be _("...").
SHOWN_LITERAL = re.compile(
    r"""(?:\b(?:default|default_if_none|yesno|add)\s*:|\bwith\b[^%]*?\w+\s*=)"""
    r"""\s*("[^"]*"|'[^']*')"""
)
RAW_BLOCK = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
TAG = re.compile(r"<[^>]*>", re.S)
ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+\d*);", re.I)
ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*("[^"]*"|'[^']*')""")
# Attributes whose value people read or hear: it must come from a translation tag or
# a variable.
READ_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description", "label"}
LETTER = re.compile(r"[^\W\d_]", re.U)


def _letters_left(text):
    words = re.findall(r"[^\W\d_][\w’'.-]*", text, re.U)
    return [word for word in words if word.rstrip(".") not in NOT_TRANSLATED]


def _read_attributes(tag):
    """The values of a tag's attributes that people read."""
    name = re.match(r"<\s*([\w-]+)", tag)
    name = name.group(1).lower() if name else ""
    attributes = {key.lower(): value[1:-1] for key, value in ATTRIBUTE.findall(tag)}
    values = [value for key, value in attributes.items() if key in READ_ATTRIBUTES]
    # What static/js reads out (data-copied-text, data-loaded-text, ...).
    values += [value for key, value in attributes.items() if re.fullmatch(r"data-.*text", key)]
    if name == "meta" and attributes.get("name", "").lower() == "description":
        values.append(attributes.get("content", ""))
    if name == "meta" and attributes.get("property", "").lower() in (
        "og:title",
        "og:description",
        "og:site_name",
    ):
        values.append(attributes.get("content", ""))
    if name == "input" and attributes.get("type", "").lower() in ("submit", "button", "reset"):
        values.append(attributes.get("value", ""))
    return values


def unmarked_text(source):
    """The readable words of a template that no translation tag covers."""
    found = []
    source = NON_TEXT_BLOCK.sub("", COMMENTS.sub("", source))
    for tag in TEMPLATE_TAG.findall(BLOCKTRANSLATE.sub("", source)):
        if not re.match(r"{%\s*(?:translate|trans)\b", tag):
            for literal in SHOWN_LITERAL.findall(tag):
                if LETTER.search(literal):
                    found.append(f"unmarked literal {literal} in {tag}")
    text = TEMPLATE_TAG.sub("", BLOCKTRANSLATE.sub("", source))
    text = RAW_BLOCK.sub("", text)
    for tag in TAG.findall(text):
        for value in _read_attributes(tag):
            words = _letters_left(ENTITY.sub(" ", value))
            if words:
                found.append(f"attribute text {' '.join(words)!r} in {tag.strip()}")
    words = _letters_left(ENTITY.sub(" ", TAG.sub(" ", text)))
    if words:
        found.append(f"text {' '.join(words)!r}")
    return found


TEMPLATE_FILES = sorted(
    path for path in TEMPLATES.rglob("*") if path.suffix in (".html", ".txt") and path.is_file()
)


@pytest.mark.parametrize(
    "template", TEMPLATE_FILES, ids=lambda path: str(path.relative_to(TEMPLATES))
)
def test_it_marks_every_string_of_the_template(template):
    assert unmarked_text(template.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ("<p>Give now</p>", "text 'Give now'"),
        ('<img alt="Our logo" src="{% static "x.svg" %}">', "attribute text 'Our logo'"),
        ('<input type="submit" value="Send">', "attribute text 'Send'"),
        ('<meta name="description" content="Support us">', "attribute text 'Support us'"),
        ('<nav aria-label="Main {{ x }}">', "attribute text 'Main'"),
        ('<b data-copied-text="Copied">', "attribute text 'Copied'"),
        ("{{ name|default:'Someone' }}", "unmarked literal 'Someone'"),
        ("{% blocktranslate %}Hi{% endblocktranslate %}, friend", "text 'friend'"),
        ("Subject: {{ subject }}", "text 'Subject'"),
    ],
)
def test_it_finds_unmarked_text(source, complaint):
    # The template check itself: each of these is a string a reader would see in English.
    assert any(found.startswith(complaint) for found in unmarked_text(source)), unmarked_text(
        source
    )


@pytest.mark.parametrize(
    "source",
    [
        '{% load i18n %}<p>{% translate "Give now" %}</p>',
        '<img alt="{% translate "Our logo" %}" src="x.svg">',
        "<p>{% blocktranslate count n=1 %}{{ n }} gift{% plural %}{{ n }} gifts"
        "{% endblocktranslate %}</p>",
        "{% comment %}Notes for developers.{% endcomment %}{# why #}<!-- and this -->",
        "<script>var a = 'text';</script><style>p{color:red}</style>",
        "<p>OCA · {{ year }} &amp; X &ndash; $5</p>",
        "{% block bodyclass %}{{ block.super }} app-donations{% endblock %}",
        "{{ name|default:_('Someone') }}{{ day|date:'Y' }}",
        '<input type="hidden" name="action" value="hide_items">',
    ],
)
def test_it_accepts_marked_text(source):
    assert unmarked_text(source) == []
