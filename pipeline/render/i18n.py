"""The few fixed words a site shows, in the languages of the businesses we build for."""

from __future__ import annotations

import re

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "skip": "Skip to content", "services": "Services", "about": "About us", "contact": "Contact",
        "phone": "Phone", "email": "Email", "address": "Address", "map": "Show on map",
        "nav": "Sections", "social": "Elsewhere", "logo": "logo", "cta": "Get in touch",
        "fallback": "{name} looks forward to hearing from you.",
    },
    "de": {
        "skip": "Zum Inhalt springen", "services": "Leistungen", "about": "Über uns", "contact": "Kontakt",
        "phone": "Telefon", "email": "E-Mail", "address": "Adresse", "map": "Auf der Karte zeigen",
        "nav": "Bereiche", "social": "Im Netz", "logo": "Logo", "cta": "Kontakt aufnehmen",
        "fallback": "{name} freut sich auf Ihre Nachricht.",
    },
    "fr": {
        "skip": "Aller au contenu", "services": "Services", "about": "À propos", "contact": "Contact",
        "phone": "Téléphone", "email": "E-mail", "address": "Adresse", "map": "Voir sur la carte",
        "nav": "Rubriques", "social": "Ailleurs", "logo": "logo", "cta": "Nous contacter",
        "fallback": "{name} se réjouit de votre message.",
    },
    "it": {
        "skip": "Vai al contenuto", "services": "Servizi", "about": "Chi siamo", "contact": "Contatti",
        "phone": "Telefono", "email": "E-mail", "address": "Indirizzo", "map": "Vedi sulla mappa",
        "nav": "Sezioni", "social": "Altrove", "logo": "logo", "cta": "Contattaci",
        "fallback": "{name} sarà lieta di sentirvi.",
    },
    "es": {
        "skip": "Saltar al contenido", "services": "Servicios", "about": "Sobre nosotros", "contact": "Contacto",
        "phone": "Teléfono", "email": "Correo", "address": "Dirección", "map": "Ver en el mapa",
        "nav": "Secciones", "social": "En la red", "logo": "logotipo", "cta": "Contáctanos",
        "fallback": "{name} espera su mensaje.",
    },
    "nl": {
        "skip": "Naar de inhoud", "services": "Diensten", "about": "Over ons", "contact": "Contact",
        "phone": "Telefoon", "email": "E-mail", "address": "Adres", "map": "Bekijk op de kaart",
        "nav": "Onderdelen", "social": "Elders", "logo": "logo", "cta": "Neem contact op",
        "fallback": "{name} hoort graag van u.",
    },
}  # fmt: skip

_LANG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")


def language(value: str | None) -> str:
    """A safe BCP 47 primary tag (`de`, `pt-br`), `en` when missing or malformed."""
    tag = (value or "").strip().lower().replace("_", "-")
    return tag if _LANG.match(tag) else "en"


def labels(lang: str) -> dict[str, str]:
    """Labels for a language tag, English when we have none for it."""
    return LABELS.get(lang.split("-")[0], LABELS["en"])
