"""Name forms: person slugs and citation initials."""
from __future__ import annotations

import pytest

from domain.names import initials, slugify

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text, slug", [
    ("Shengding Hu", "shengding-hu"), ("Martine Adda-Decker", "martine-adda-decker"),
    ("Eşref Adalı", "esref-adali"), ("Ahmed AbuRa’ed", "ahmed-abura-ed"),
    ("  Jörg  Tiedemann ", "jorg-tiedemann"), ("Łukasz Kaiser", "lukasz-kaiser"),
    ("İsmail Çelik", "ismail-celik"), ("Anders Søgaard", "anders-sogaard"),
])
def test_slugify(text, slug):
    assert slugify(text) == slug


def test_initials():
    assert initials("Shengding", "Hu") == ["S. Hu", "S Hu", "Hu S"]
    assert initials("Woo-Jong", "Ryu")[:3] == ["W. J. Ryu", "W J Ryu", "Ryu WJ"]
    assert initials("", "Sukhada") == []
