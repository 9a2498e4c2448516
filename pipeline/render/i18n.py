"""The few fixed words a site shows, in the languages of the businesses we build for."""

from __future__ import annotations

import re

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "reviews_nav": "Reviews",
        "photos": "Photos", "reviews": "What customers say", "hours": "Opening hours", "photo": "Photo: {name}",
        "days": "Mon Tue Wed Thu Fri Sat Sun",
        "skip": "Skip to content", "services": "Services", "about": "About us", "contact": "Contact",
        "phone": "Phone", "email": "Email", "address": "Address", "map": "Show on map",
        "nav": "Sections", "social": "Elsewhere", "logo": "logo", "cta": "Get in touch",
    },
    "de": {
        "reviews_nav": "Stimmen",
        "photos": "Bilder", "reviews": "Das sagen unsere Kunden", "hours": "Öffnungszeiten", "photo": "Foto: {name}",
        "days": "Mo Di Mi Do Fr Sa So",
        "skip": "Zum Inhalt springen", "services": "Leistungen", "about": "Über uns", "contact": "Kontakt",
        "phone": "Telefon", "email": "E-Mail", "address": "Adresse", "map": "Auf der Karte zeigen",
        "nav": "Bereiche", "social": "Im Netz", "logo": "Logo", "cta": "Kontakt aufnehmen",
    },
    "fr": {
        "reviews_nav": "Avis",
        "photos": "Photos", "reviews": "Ils nous font confiance", "hours": "Horaires", "photo": "Photo : {name}",
        "days": "lun. mar. mer. jeu. ven. sam. dim.",
        "skip": "Aller au contenu", "services": "Services", "about": "À propos", "contact": "Contact",
        "phone": "Téléphone", "email": "E-mail", "address": "Adresse", "map": "Voir sur la carte",
        "nav": "Rubriques", "social": "Ailleurs", "logo": "logo", "cta": "Nous contacter",
    },
    "it": {
        "reviews_nav": "Recensioni",
        "photos": "Foto", "reviews": "Dicono di noi", "hours": "Orari", "photo": "Foto: {name}",
        "days": "lun mar mer gio ven sab dom",
        "skip": "Vai al contenuto", "services": "Servizi", "about": "Chi siamo", "contact": "Contatti",
        "phone": "Telefono", "email": "E-mail", "address": "Indirizzo", "map": "Vedi sulla mappa",
        "nav": "Sezioni", "social": "Altrove", "logo": "logo", "cta": "Contattaci",
    },
    "es": {
        "reviews_nav": "Opiniones",
        "photos": "Fotos", "reviews": "Opiniones", "hours": "Horario", "photo": "Foto: {name}",
        "days": "lun mar mié jue vie sáb dom",
        "skip": "Saltar al contenido", "services": "Servicios", "about": "Sobre nosotros", "contact": "Contacto",
        "phone": "Teléfono", "email": "Correo", "address": "Dirección", "map": "Ver en el mapa",
        "nav": "Secciones", "social": "En la red", "logo": "logotipo", "cta": "Contáctanos",
    },
    "nl": {
        "reviews_nav": "Reviews",
        "photos": "Foto's", "reviews": "Wat klanten zeggen", "hours": "Openingstijden", "photo": "Foto: {name}",
        "days": "ma di wo do vr za zo",
        "skip": "Naar de inhoud", "services": "Diensten", "about": "Over ons", "contact": "Contact",
        "phone": "Telefoon", "email": "E-mail", "address": "Adres", "map": "Bekijk op de kaart",
        "nav": "Onderdelen", "social": "Elders", "logo": "logo", "cta": "Neem contact op",
    },
}  # fmt: skip

_LANG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


def language(value: str | None) -> str:
    """A safe BCP 47 primary tag (`de`, `pt-br`), `en` when missing or malformed."""
    tag = (value or "").strip().lower().replace("_", "-")
    return tag if _LANG.match(tag) else "en"


DAY_CODES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def day_names(lang: str) -> dict[str, str]:
    """Day code (Mo..Su) → the short day name in a language."""
    return dict(zip(DAY_CODES, labels(lang)["days"].split(), strict=True))


def labels(lang: str) -> dict[str, str]:
    """Labels for a language tag, English when we have none for it."""
    return LABELS.get(lang.split("-")[0], LABELS["en"])
