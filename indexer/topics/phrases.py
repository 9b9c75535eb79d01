"""Text side of topics: tokens, stopwords and the phrases a text holds."""
from __future__ import annotations

import re
import unicodedata

# English function words plus the boilerplate of paper abstracts. A stopword
# never appears in a phrase and breaks phrases apart, so "we propose a novel
# approach to machine translation" yields only "machine translation".
_STOPWORDS = frozenset(
    """
    a about above across after again against all almost along already also although always am among an and
    another any anyone anything are around as at away be became because become becomes been before being
    below between both but by can cannot could did do does doing done down due during each either else
    enough especially etc even ever every few for from further furthermore given had has have having he
    hence her here hers him his how however i if in into is it its itself just least less let like made
    mainly make makes many may me might more moreover most mostly much must my namely near nearly neither
    never nevertheless no nor not now of off often on once one ones only onto or other others otherwise
    our ours out over own per perhaps quite rather really same several shall she should since so some
    something sometimes somewhat still such than that the their theirs them themselves then there thereby
    therefore these they this those though three through thus to together too toward towards two under
    unlike until up upon us use used uses using very via was we well were what whatever when whenever
    where whereas whether which while who whole whom whose why will with within without would yet you
    your yours
    abstract paper papers article work works study studies propose proposes proposed present presents
    presented describe describes described introduce introduces introduced show shows shown showed
    demonstrate demonstrates demonstrated report reports reported investigate investigates investigated
    explore explores explored discuss discusses discussed address addresses addressed focus focuses
    focused aim aims consider considers considered examine examines examined evaluate evaluates
    outperform outperforms outperformed achieve achieves achieved obtain obtains obtained improve
    improves improved provide provides provided allow allows allowed enable enables enabled require
    requires required perform performs performed apply applies applied compare compares compared
    find finds found develop develops developed based new novel different various existing recent
    current previous prior first second third finally also results result experiments experimental
    experiment approach approaches method methods technique techniques way ways number numbers set sets
    large small high low good better best significant significantly state-of-the-art art well-known
    effective effectively efficient important paper's author authors able including include includes
    included particular particularly specific general generally respectively several e.g i.e et al
    furthermore additionally problem problems issue issues case cases part parts order terms term
    type types form forms kind kinds use useful usually within whole often towards toward
    proceedings workshop conference volume edited editors
    improving exploring leveraging revisiting rethinking enhancing boosting investigating
    analyzing analysing evaluating comparing combining incorporating applying utilizing employing
    introducing towards beyond via
    de la le les des du un une et en pour par sur dans avec au aux ce cet cette ces qui que ou est sont nous
    notre nos il elle ils elles se sa son ses leur leurs pas plus tres entre comme mais aussi ainsi donc
    presentons proposons presente propose cet article travail etude approche methode resultats
    el los las del y con para una al lo como es sus este esta estos entre sobre o u em um uma os
    der die das und ist von mit fur zu den dem im ein eine auf
    """.split()
)

# A word (letters first, inner hyphens kept: "low-resource", "gpt-3") or a
# clause boundary. Apostrophes split words, so "model's" ends in a lone "s",
# which like every single letter breaks phrases.
_TOKEN_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*|[.,;:!?()\[\]{}\"]")
_BREAKS = _STOPWORDS | frozenset(".,;:!?()[]{}\"") | frozenset("abcdefghijklmnopqrstuvwxyz")


_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u2010": "-", "\u2011": "-"})


def fold(text: str) -> str:
    """Strip accents so that 'naïve' and 'naive' count as one word."""
    if text.isascii():
        return text
    text = text.translate(_QUOTES)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def phrases(text: str) -> set[str]:
    """The distinct uni-, bi- and trigrams of a text, lowercase, stopword-free.

    N-grams never cross a stopword, a single letter or punctuation that ends
    a clause, so they are mostly noun phrases.
    """
    out: set[str] = set()
    add = out.add
    breaks = _BREAKS
    p1 = p2 = ""
    for tok in _TOKEN_RE.findall(fold(text).lower()):
        if tok in breaks:
            p1 = p2 = ""
            continue
        add(tok)
        if p1:
            bigram = p1 + " " + tok
            add(bigram)
            if p2:
                add(p2 + " " + bigram)
        p2, p1 = p1, tok
    return out
