"""Words the name and slogan finders recognise, in the languages of the corpus: titles that name no
business ("Home", "Herzlich Willkommen", a site builder's name), words for a kind of business
("Hotel", "Praxis"), the small words joining a name's parts, and what follows a holder's name in a
copyright line ("All rights reserved", a maker's credit)."""

from __future__ import annotations

import re

# Page titles and headings that are never a business's name.
GENERIC = frozenset(
    {
        "home",
        "homepage",
        "startseite",
        "accueil",
        "inicio",
        "welcome",
        "willkommen",
        "bienvenue",
        "benvenuti",
        "index",
        "official site",
        "official website",
        "menu",
        "contact",
        "kontakt",
        "about",
        "about us",
        "impressum",
        "untitled",
        "document",
        "site",
        "website",
        # "Home" in other languages (normalised: no accents)
        "home page",
        "startpagina",
        "pagina principale",
        "pagina inicial",
        "uvod",
        "domu",
        "etusivu",
        "forside",
        "hjem",
        "startsida",
        "strona głowna",
        "kezdolap",
        "fooldal",
        "anasayfa",
        "ana sayfa",
        "naslovna",
        "pocetna",
        # greetings ("Herzlich Willkommen" as a page's only heading)
        "herzlich willkommen",
        "welkom",
        "benvenuto",
        "bienvenido",
        "bienvenidos",
        "bem vindo",
        "bem vindos",
        "velkommen",
        "valkommen",
        "tervetuloa",
        "witamy",
        "vitejte",
        # site builders and template makers: their name is a template's default alt text or title
        "mobirise",
        "wix",
        "jimdo",
        "wordpress",
        "webflow",
        "squarespace",
        "weebly",
        "nicepage",
        "site123",
        "strikingly",
        "joomla",
        "drupal",
        "bootstrap",
        "colorlib",
        "templatemo",
        "themewagon",
        "bootstrapmade",
        "html5 up",
    }
)
# Words that say what kind of business it is, not which one ("Hotel", "Ferienwohnungen", "Praxis"),
# and the small words that join a name's parts: neither tells one business from another.
_CATEGORY_TEXT = """
    hotel hotels restaurant restaurants ristorante trattoria pizzeria bistro brasserie cafe caffe coffee bar
    pub bakery backerei baeckerei bäckerei boulangerie patisserie konditorei metzgerei butcher deli kitchen
    grill diner inn gasthaus gasthof pension hostel motel lodge resort apartment apartments appartements
    ferienwohnung ferienwohnungen ferienhaus ferienhof holiday rentals villa camping spa salon friseur
    coiffure barber barbershop studio atelier praxis practice clinic klinik clinique dental dentist
    zahnarzt zahnarztpraxis physio physiotherapie therapy therapie kanzlei law office cabinet agency
    agentur shop store laden boutique market markt galerie gallery school schule academy akademie center
    centre zentrum club verein garage werkstatt company co gmbh ag ug kg ltd llc inc sarl sas bv
    etude notaire notaires notarial notariale avocat avocats
"""
_JOINING_TEXT = "the and of a an de la le les du des del di da der die das und zum zur im am in von et y e el il lo"
CATEGORY_WORDS = frozenset(_CATEGORY_TEXT.split())
JOINING = frozenset(_JOINING_TEXT.split())

# "All rights reserved" in the languages of the corpus, by its first words (a misspelt end still goes).
RIGHTS_RESERVED = (
    r"\b(all rights|alle rechte|tous droits|todos los derechos|tutti i diritti|alle rechten|minden jog|"
    r"wszelkie prawa|všechna práva|alle rettigheder|alle rettigheter|alla rättigheter|kaikki oikeudet|"
    r"todos os direitos|tüm hakları)\b.*"
)
# A maker's credit run into the copyright line ("© OSK Apollo Design and coding Avebart"): not the holder's.
MAKER_CREDIT = re.compile(
    r"\b(design(ed)? (by|and|&)|webdesign|web design|developed by|made by|powered by|created by|site by|"
    r"website by|realis[ée] par|r[ée]alisation|con[çc]u par|erstellt von|gestaltet von|realizzato da|realizacja)\b.*",
    re.I,
)
