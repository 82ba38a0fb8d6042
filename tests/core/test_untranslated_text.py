"""No user-visible text escapes translation (issue 20): literal words in a template, or a
literal string handed straight to a user-facing call in Python, fail here.

Templates are read with Jinja's own lexer: what lies outside ``{{ }}`` / ``{% %}`` / ``{# #}``
is the template's literal text. Expressions become a private-use mark, then Python's HTML
parser walks the result: text nodes, and the attributes people see or hear (``title``, ``alt``,
``aria-label``, ``placeholder``…, the ``data-msg-*`` messages scripts show), must hold no
letters once tags, comments and entities are gone. Not checked, on purpose: ``<script>``,
``<style>``, code (``<code>``, ``<kbd>``, ``<samp>``, ``<pre>``), an element marked
``translate="no"`` (the HTML attribute for text that stays as it is), and an element with a
``lang`` attribute (text deliberately in that language, such as a language's own name).
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
# Not shown to people: the crawler's instructions.
NOT_USER_FACING = {"formats/robots.txt"}
MARK = "\ue000"  # stands for an expression or a statement of the template
LETTERS = re.compile(r"[^\W\d_]+")
# The same in every language: the product's name, and names of formats and protocols.
ALLOWED_WORDS = {"Tandem", "CSV", "JSON", "SHA", "HTTP"}
VISIBLE_ATTRIBUTES = {
    "title",
    "alt",
    "aria-label",
    "aria-description",
    "aria-roledescription",
    "aria-valuetext",
    "aria-placeholder",
    "placeholder",
    "label",
}
SKIPPED_ELEMENTS = {"script", "style", "code", "kbd", "samp", "pre"}
VOID_ELEMENTS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input",
    "link", "meta", "source", "track", "wbr",
}  # fmt: skip


# <meta content="…"> is read by people (search results, link previews) only for these.
def _describes(meta: dict[str, str | None]) -> bool:
    return meta.get("name") in ("description", "og:title", "og:description") or meta.get(
        "property"
    ) in ("og:title", "og:description", "og:site_name")


# Only lexed, never rendered: autoescape plays no part.
_ENV = Environment(  # noqa: S701
    extensions=["jinja2.ext.i18n", "jinja2.ext.do", "jinja2.ext.loopcontrols"]
)


def _words(text: str) -> list[str]:
    return [w for w in LETTERS.findall(text.replace(MARK, " ")) if w not in ALLOWED_WORDS]


def _shown(text: str) -> str:
    return " ".join(text.replace(MARK, "…").split())[:100]


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping: list[str] = []
        self.found: list[tuple[int, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if not self.skipping:
            for name, value in attrs:
                visible = name in VISIBLE_ATTRIBUTES or name.startswith("data-msg")
                button = (
                    name == "value"
                    and tag == "input"
                    and values.get("type") in ("submit", "button", "reset")
                )
                described = tag == "meta" and name == "content" and _describes(values)
                if value and (visible or button or described):
                    self._check(value, f"<{tag} {name}=…>")
        # A lang="…" written out in the template (not the page's own, computed language).
        stated_language = tag != "html" and MARK not in (values.get("lang") or MARK)
        quiet = tag in SKIPPED_ELEMENTS or values.get("translate") == "no" or stated_language
        if (quiet or self.skipping) and tag not in VOID_ELEMENTS:
            self.skipping.append(tag)

    def handle_endtag(self, tag: str) -> None:
        # An element left open inside a skipped one (<pre><p>…</pre>) must not skip the rest.
        if tag in self.skipping:
            while self.skipping.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self._check(data, "text")

    def _check(self, text: str, where: str) -> None:
        if _words(text):
            self.found.append((self.getpos()[0], where, _shown(text)))


def _literal_text(source: str) -> str:
    """The template with every expression, statement and comment replaced by one mark."""
    parts = []
    for _line, kind, value in _ENV.lex(source):
        if kind == "data":
            parts.append(value)
        elif kind in ("variable_begin", "block_begin"):
            parts.append(MARK)
    # A tag whose name is an expression (<{{ heading }} …>) is still a tag.
    return "".join(parts).replace("<" + MARK, "<x-expr").replace("</" + MARK, "</x-expr")


def untranslated_in_html(source: str) -> list[tuple[int, str, str]]:
    parser = _VisibleText()
    parser.feed(_literal_text(source))
    parser.close()
    return parser.found


def untranslated_in_text(source: str) -> list[tuple[int, str, str]]:
    """A plain-text template (an email's text part): all its literal text is shown."""
    found = []
    for line, kind, value in _ENV.lex(source):
        if kind == "data" and _words(value):
            found.append((line, "text", _shown(value)))
    return found


def _templates() -> list[Path]:
    paths = sorted(TEMPLATES.rglob("*.html")) + sorted(TEMPLATES.rglob("*.txt"))
    return [p for p in paths if p.relative_to(TEMPLATES).as_posix() not in NOT_USER_FACING]


def test_templates_show_no_untranslated_text():
    problems = []
    for path in _templates():
        source = path.read_text(encoding="utf-8")
        check = untranslated_in_text if path.suffix == ".txt" else untranslated_in_html
        for line, where, text in check(source):
            problems.append(f"{path.relative_to(ROOT)}:{line} {where}: {text!r}")
    assert not problems, "mark these for translation ({{ _(…) }}):\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "source",
    [
        "<p>Hello</p>",
        "<p>{{ _('Hello') }} world</p>",
        '<a title="Open it" href="/x">{{ _("Open") }}</a>',
        '<img alt="Logo of {{ name }}" src="/x.png">',
        '<button aria-label="Close"></button>',
        '<input placeholder="e.g. CSA">',
        '<input type="submit" value="Send">',
        '<span data-msg-saved="Saved"></span>',
        "{% if x %}<th>Rank</th>{% endif %}",
        "<{{ tag }} class='h5'>Title</{{ tag }}>",
        "<p>&laquo;Notice&raquo;</p>",
        "<pre><p>GET</pre><p>Visible again</p>",
        '<html lang="{{ lang }}"><body><p>Welcome</p></body></html>',
        '<div lang="{{ code }}">Welcome</div>',
        '<meta name="description" content="Parallel challenges">',
    ],
)
def test_the_template_check_finds_literal_text(source):
    assert untranslated_in_html(source)


@pytest.mark.parametrize(
    "source",
    [
        "<p>{{ _('Hello') }}</p>",
        "<!-- a comment --><p>{# a note #}{{ x }} · {{ y }} — 12 %</p>",
        '<a href="/open" class="btn btn-primary" id="go">{{ _("Open") }}</a>',
        '<a title="{{ _("Open it") }}">&rarr;</a>',
        "<p>Tandem · CSV · JSON</p>",
        "<pre>GET /api/v1</pre><code>webhook-id</code>",
        '<dd translate="no">…/calendar/{{ p }}</dd>',
        '<legend lang="fr">Français</legend>',
        '<script type=\'application/json\'>{"a": "b"}</script>',
        "{% raw %}{{ }}{% endraw %}",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
    ],
)
def test_the_template_check_lets_through_what_is_not_text(source):
    assert untranslated_in_html(source) == []


# --- Python ---------------------------------------------------------------------------------

# Messages of these errors never reach people: NotFound and PermissionDenied are answered with
# the generic, translated 404 page (the message is logged and audited).
_SILENT_ERRORS = {"NotFound", "PermissionDenied"}
_FORM_ERRORS = {"ValidationError", "StopValidation"}
_FIELD = re.compile(r"[A-Z]\w*(Field|Button)$")
_VISIBLE_RENDER_KW = {"placeholder", "title", "aria-label", "aria-description"}


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    return None


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _domain_errors(trees: list[ast.Module]) -> set[str]:
    """DomainError and every class of ours that derives from it, except the silent ones."""
    bases: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(_name(b) for b in node.bases)
    found = {"DomainError"}
    changed = True
    while changed:
        changed = False
        for cls, parents in bases.items():
            if cls not in found and parents & found:
                found.add(cls)
                changed = True
    silent = set(_SILENT_ERRORS)
    changed = True
    while changed:
        changed = False
        for cls, parents in bases.items():
            if cls not in silent and parents & silent:
                silent.add(cls)
                changed = True
    return found - silent


def untranslated_in_python(tree: ast.Module, shown_errors: set[str]) -> list[tuple[int, str]]:
    """Literal strings handed straight to what people read: ``flash()``, a form field's label
    or description (or a visible ``render_kw`` attribute), a form validation error, or a
    domain error whose message is shown."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        shown: list[ast.expr] = []
        if name == "flash" or name in _FORM_ERRORS or name in shown_errors:
            shown += node.args[:1]
            shown += [k.value for k in node.keywords if k.arg == "message"]
        elif _FIELD.match(name):
            shown += node.args[:1]
            shown += [k.value for k in node.keywords if k.arg in ("label", "description")]
            for k in node.keywords:
                if k.arg == "render_kw" and isinstance(k.value, ast.Dict):
                    shown += [
                        v
                        for key, v in zip(k.value.keys, k.value.values, strict=True)
                        if isinstance(key, ast.Constant) and key.value in _VISIBLE_RENDER_KW
                    ]
        for arg in shown:
            text = _literal(arg)
            if text is not None and LETTERS.search(text):
                found.append((node.lineno, f"{name}({text[:60]!r})"))
    return found


def test_python_hands_no_untranslated_text_to_people():
    paths = sorted((ROOT / "competitions").rglob("*.py"))
    trees = [ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in paths]
    shown_errors = _domain_errors(trees)
    assert {"DomainError", "Conflict", "FieldErrors"} <= shown_errors
    assert not shown_errors & _SILENT_ERRORS
    problems = [
        f"{path.relative_to(ROOT)}:{line} {call}"
        for path, tree in zip(paths, trees, strict=True)
        for line, call in untranslated_in_python(tree, shown_errors)
    ]
    assert not problems, "wrap these in _() / _l():\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "code",
    [
        "flash('Saved.')",
        "flash(f'Saved {n}.', 'success')",
        "name = StringField('Name')",
        "name = StringField(label='Name')",
        "name = StringField(_l('Name'), description='At most 80 characters.')",
        "name = StringField(_l('Name'), render_kw={'placeholder': 'e.g. CSA'})",
        "raise ValidationError('Too long.')",
        "raise Conflict('Already there.')",
    ],
)
def test_the_python_check_finds_literal_text(code):
    assert untranslated_in_python(ast.parse(code), {"DomainError", "Conflict"})


@pytest.mark.parametrize(
    "code",
    [
        "flash(_('Saved.'), 'success')",
        "name = StringField(_l('Name'), render_kw={'autocomplete': 'name'})",
        "raise NotFound('no such thing')",
        "raise ValueError('k must not be negative')",
        "raise Conflict(_('Already there: %(x)s', x=x))",
        "flash(message)",
    ],
)
def test_the_python_check_lets_through_what_is_not_shown(code):
    assert untranslated_in_python(ast.parse(code), {"DomainError", "Conflict"}) == []
