"""TeX in titles, abstracts and names made readable: `tex_to_text(text)`.

arXiv metadata is written by authors in TeX: `$\\ell_1$`, `\\textit{New News}`, `M$^2$CD`,
`Nguy\\~ên`, `10\\%`, and hard line breaks. Math keeps its text without the dollars
(`$top$-$K$` -> "top-K"), simple super/subscripts become Unicode (`M$^2$CD` -> "M²CD",
`$\\ell_1$` -> "ℓ₁"), symbols become their characters, font and emphasis commands keep their
argument, accents combine with their letter, citations and colours are dropped. Anything not
understood loses its backslash and braces rather than stopping a read: the function is total.
"""
from __future__ import annotations

import re
import unicodedata

_ACCENTS = {"'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
            "=": "\u0304", ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b",
            "c": "\u0327", "k": "\u0328", "d": "\u0323", "b": "\u0331", "r": "\u030a"}
_LETTER_ACCENT = re.compile(r"\\([uvHckdbr])\{\s*([A-Za-z\u00c0-\u024f])?\s*\}|\\([uvHckdbr]) ([A-Za-z])")
_SYMBOL_ACCENT = re.compile(r"\\(['`^\"~=.])\s*(?:\{\s*(\\?[A-Za-z\u00c0-\u024f]?)\s*\}|([A-Za-z\u00c0-\u024f]))")

_SYMBOLS = {
    "times": "×", "pm": "±", "mp": "∓", "cdot": "·", "cdots": "⋯", "ldots": "…", "dots": "…",
    "sim": "~", "approx": "≈", "equiv": "≡", "neq": "≠", "ne": "≠", "leq": "≤", "le": "≤",
    "geq": "≥", "ge": "≥", "ll": "≪", "gg": "≫", "lesssim": "≲", "gtrsim": "≳", "propto": "∝",
    "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆", "supset": "⊃", "cap": "∩",
    "cup": "∪", "exists": "∃", "forall": "∀", "neg": "¬", "wedge": "∧", "vee": "∨",
    "rightarrow": "→", "to": "→", "leftarrow": "←", "gets": "←", "leftrightarrow": "↔",
    "Rightarrow": "⇒", "Leftarrow": "⇐", "Leftrightarrow": "⇔", "mapsto": "↦",
    "uparrow": "↑", "downarrow": "↓", "infty": "∞", "partial": "∂", "nabla": "∇",
    "sum": "∑", "prod": "∏", "int": "∫", "circ": "°", "deg": "°", "star": "⋆", "ast": "∗",
    "dagger": "†", "ddagger": "‡", "mid": "|", "vert": "|", "|": "‖", "langle": "⟨",
    "rangle": "⟩", "lceil": "⌈", "rceil": "⌉", "lfloor": "⌊", "rfloor": "⌋", "top": "⊤",
    "bot": "⊥", "oslash": "⊘", "nrightarrow": "↛", "prec": "≺", "succ": "≻", "oplus": "⊕", "otimes": "⊗", "ell": "ℓ",
    "hbar": "ℏ", "emptyset": "∅", "varnothing": "∅", "checkmark": "✓", "S": "§", "P": "¶",
    "textasciitilde": "~", "textpertenthousand": "‱", "textperthousand": "‰", "textdegree": "°",
    "textbackslash": "\\", "textbar": "|", "textless": "<", "textgreater": ">", "textendash": "–",
    "textemdash": "—", "textquoteright": "’", "textquoteleft": "‘", "copyright": "©",
    "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å",
    "AA": "Å", "l": "ł", "L": "Ł", "i": "ı", "log": "log", "ln": "ln", "exp": "exp", "max": "max",
    "min": "min", "arg": "arg", "sin": "sin", "cos": "cos", "tan": "tan", "gcd": "gcd",
    "det": "det", "lim": "lim", "sup": "sup", "inf": "inf", "Pr": "Pr", "eg": "e.g.", "ie": "i.e.",
    "prime": "′", "etal": "et al.", "and": "and", "LaTeX": "LaTeX", "TeX": "TeX",
}
_GREEK = dict(zip(("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho "
                   "sigma tau upsilon phi chi psi omega").split(), "αβγδεζηθικλμνξπρστυφχψω"))
_SYMBOLS.update(_GREEK)
_SYMBOLS.update({"Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
                 "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω"})
_SYMBOLS.update({"varepsilon": "ε", "vartheta": "ϑ", "varphi": "φ", "varrho": "ϱ",
                 "varsigma": "ς", "varpi": "ϖ"})
_ESCAPED = {"%": "%", "&": "&", "_": "_", "#": "#", "$": "$", "{": "{", "}": "}", ",": " ",
            ";": " ", ":": " ", "!": "", " ": " ", "-": "", "@": "", "\\": " ", "(": "", ")": "",
            "[": "", "]": "", "/": ""}

# Commands whose (first) argument is dropped, with all of their arguments.
_DROP_WITH_ARGS = {"cite": 1, "citep": 1, "citet": 1, "ref": 1, "label": 1, "color": 1,
                   "begin": 1, "end": 1, "vspace": 1, "hspace": 1, "includegraphics": 1,
                   "footnote": 1, "thanks": 1, "unicode": 1, "ding": 1, "char": 0}
# Commands whose first argument is dropped and whose second argument is kept.
_KEEP_SECOND = {"href", "textcolor", "hyperlink", "colorbox", "replaced"}
_FRAC = {"frac", "tfrac", "dfrac", "binom"}

_SUP = dict(zip("0123456789+-=()niABDEGHIJKLMNOPRTUVWabcdefghijklmnoprstuvwxyz",
                "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ"))
_SUP.update({"°": "°", "′": "′", "∗": "*", "*": "*", "⋆": "⋆", "†": "†", "‡": "‡"})
_SUB = dict(zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))

_SPECIAL = re.compile(r"[\\^_]")
_BACKSLASH = re.compile(r"\\")
_PLAIN = re.compile(r"[\\^_$~{}`'\"]")  # text without these needs no TeX handling
_COMMAND = re.compile(r"\\([A-Za-z]+)\*?")
_SPACES = re.compile(r"\s+")
_TIE = re.compile(r"(?<=\S)~(?=[A-Za-z])")  # Eric~Granger, Fig.~3: a TeX tie is a space


def _group(text: str, i: int) -> tuple[str | None, int]:
    """The brace group starting at text[i] (after spaces): (content, index after it)."""
    j = i
    while j < len(text) and text[j] == " ":
        j += 1
    if j >= len(text) or text[j] != "{":
        return None, i
    depth = 0
    for k in range(j, len(text)):
        if text[k] == "{" and (k == 0 or text[k - 1] != "\\"):
            depth += 1
        elif text[k] == "}" and (k == 0 or text[k - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return text[j + 1:k], k + 1
    return text[j + 1:], len(text)  # unbalanced: the rest is the argument


def _script(body: str, table: dict[str, str], mark: str) -> str:
    body = body.strip()
    if body and all(c in table for c in body):
        return "".join(table[c] for c in body)
    return f"{mark}{body}" if len(body) <= 1 else f"{mark}({body})"


def _commands(text: str, math: bool = True) -> str:
    """Replace every command by its readable form, innermost arguments first; `^` and `_`
    are scripts in math only (in running text "snake_case" stays as it is)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        m = (_SPECIAL if math else _BACKSLASH).search(text, i)
        if m is None:
            out.append(text[i:])
            break
        if m.start() > i:
            out.append(text[i:m.start()])
            i = m.start()
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            m = _COMMAND.match(text, i)
            if m is None:  # \% \& \_ \, ...
                nxt = text[i + 1]
                out.append(_ESCAPED.get(nxt, nxt))
                i += 2
                continue
            name, i = m.group(1), m.end()
            if name in _DROP_WITH_ARGS:
                for _ in range(max(_DROP_WITH_ARGS[name], 1)):
                    arg, i = _group(text, i)
                    if arg is None:
                        break
                if name == "char":  # \char92 and the like: a glyph number, nothing readable
                    while i < len(text) and (text[i].isdigit() or text[i] in "\"'"):
                        i += 1
                continue
            if name in _KEEP_SECOND:
                first, i = _group(text, i)
                second, i = _group(text, i)
                out.append(_commands(second if second is not None else first or ""))
                continue
            if name in _FRAC:
                num, i = _group(text, i)
                den, i = _group(text, i)
                out.append(f"{_commands(num or '')}/{_commands(den or '')}")
                continue
            if name == "sqrt":
                arg, i = _group(text, i)
                out.append(f"√{_commands(arg or '')}")
                continue
            if name in ("textsuperscript", "textsubscript"):
                arg, i = _group(text, i)
                sup = name == "textsuperscript"
                out.append(_script(_commands(arg or ""), _SUP if sup else _SUB, "^" if sup else "_"))
                continue
            if name in _SYMBOLS:
                out.append(_SYMBOLS[name])
                continue
            arg, j = _group(text, i)
            if arg is not None:  # font, emphasis, \mathcal{A}, \text{...}, unknown macros: keep the text
                out.append(_commands(arg))
                i = j
            continue  # a bare unknown command (\ours, \left, \em) is dropped
        if c in "^_" and i + 1 < len(text):
            arg, j = _group(text, i + 1)
            if arg is None:
                m = _COMMAND.match(text, i + 1) if text[i + 1] == "\\" else None
                if m is not None:  # x^\prime, A^\text{T}: the command with its argument
                    group, j = _group(text, m.end())
                    if m.group(1) in _SYMBOLS or group is None:
                        j = m.end()
                    arg = _commands(text[i + 1:j])
                else:
                    arg, j = text[i + 1], i + 2
            else:
                arg = _commands(arg)
            out.append(_script(arg, _SUP if c == "^" else _SUB, c))
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _accent(mark: str, letter: str) -> str:
    if letter in ("\\i", "i") and mark != "c":
        letter = "i"
    return unicodedata.normalize("NFC", letter.lstrip("\\") + _ACCENTS[mark]) if letter else ""


def _split_math(text: str) -> list[str]:
    """Text and math alternately (odd items are math); an escaped \\$ is no delimiter."""
    parts, start, i = [], 0, 0
    while True:
        j = text.find("$", i)
        if j < 0:
            return [*parts, text[start:]]
        if j > 0 and text[j - 1] == "\\":
            i = j + 1
            continue
        parts.append(text[start:j])
        start = i = j + 1


def tex_to_text(text: str | None) -> str:
    """Readable text of a TeX-flavoured string, whitespace collapsed ("" for None)."""
    if not text:
        return ""
    if _PLAIN.search(text) is None:
        return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
    s = _SYMBOL_ACCENT.sub(lambda m: _accent(m.group(1), m.group(2) or m.group(3) or ""), text)
    s = _LETTER_ACCENT.sub(lambda m: _accent(m.group(1) or m.group(3), m.group(2) or m.group(4) or ""), s)
    s = s.replace("$$", "$").replace("\\(", "$").replace("\\)", "$")
    s = "".join(_commands(part, math=bool(k % 2)) for k, part in enumerate(_split_math(s)))
    s = _TIE.sub(" ", s.replace("{", "").replace("}", ""))
    s = s.replace("``", "“").replace("''", "”")
    return _SPACES.sub(" ", unicodedata.normalize("NFC", s)).strip()
