"""Player, team and game keys, and the name normalisation every name join goes through."""

from __future__ import annotations

import re
import unicodedata

# Suffixes dropped so that "Jaren Jackson Jr." (NBA.com) meets "Jaren Jackson" (a sportsbook).
_SUFFIX = re.compile(r" (jr|sr|ii|iii|iv|v)\.?$")
_NON_ALNUM = re.compile(r"[^a-z0-9]")
# Whitespace, spelled out so Python and DuckDB's RE2 mean the same characters (tab, NBSP, thin space...).
_WHITESPACE = "\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACES = re.compile(f"[{_WHITESPACE}]+")


def player_lookup(name: str | None) -> str | None:
    """'Luka Dončić' -> 'lukadoncic'; 'Jaren Jackson Jr.' -> 'jarenjackson'; "De'Aaron Fox" -> 'deaaronfox'."""
    if name is None:
        return None
    # Canonical decomposition (NFD) + dropping the marks is what DuckDB's strip_accents does; the
    # compatibility forms (NFKC/NFKD) have no DuckDB twin, so using them made the two rules disagree.
    text = "".join(ch for ch in unicodedata.normalize("NFD", name) if not unicodedata.combining(ch))
    text = _SPACES.sub(" ", text).strip(" ").lower()
    return _NON_ALNUM.sub("", _SUFFIX.sub("", text)) or None


def _re2_class(chars: str) -> str:
    """The whitespace class above in RE2 syntax (\\x{00a0} instead of a literal character)."""
    out = chars.replace("\t", "\\t").replace("\n", "\\n").replace("\x0b", "\\x0b")
    out = out.replace("\x0c", "\\x0c").replace("\r", "\\r")
    return re.sub(r"[\u00a0-\uffff]", lambda m: "\\x{%04x}" % ord(m.group()), out)


# The same rule as a DuckDB macro, so set-based joins use exactly what Python uses
# (tests/test_identity.py proves the two agree on every name in the data and on every BMP character).
PLAYER_LOOKUP_MACRO = r"""
CREATE OR REPLACE MACRO player_lookup(n) AS
  nullif(regexp_replace(
    regexp_replace(lower(trim(regexp_replace(strip_accents(n), '[WS]+', ' ', 'g'))), ' (jr|sr|ii|iii|iv|v)\.?$', ''),
    '[^a-z0-9]', '', 'g'), '')
""".replace("WS", _re2_class(_WHITESPACE))

TEAMS: dict[str, str] = {
    "ATL": "Atlanta Hawks", "BOS": "Boston Celtics", "BKN": "Brooklyn Nets", "CHA": "Charlotte Hornets",
    "CHI": "Chicago Bulls", "CLE": "Cleveland Cavaliers", "DAL": "Dallas Mavericks", "DEN": "Denver Nuggets",
    "DET": "Detroit Pistons", "GSW": "Golden State Warriors", "HOU": "Houston Rockets", "IND": "Indiana Pacers",
    "LAC": "LA Clippers", "LAL": "Los Angeles Lakers", "MEM": "Memphis Grizzlies", "MIA": "Miami Heat",
    "MIL": "Milwaukee Bucks", "MIN": "Minnesota Timberwolves", "NOP": "New Orleans Pelicans",
    "NYK": "New York Knicks", "OKC": "Oklahoma City Thunder", "ORL": "Orlando Magic",
    "PHI": "Philadelphia 76ers", "PHX": "Phoenix Suns", "POR": "Portland Trail Blazers",
    "SAC": "Sacramento Kings", "SAS": "San Antonio Spurs", "TOR": "Toronto Raptors", "UTA": "Utah Jazz",
    "WAS": "Washington Wizards",
}

_ALIASES: dict[str, str] = {
    "BRK": "BKN", "BKLYN": "BKN", "NJN": "BKN", "PHO": "PHX", "CHO": "CHA", "CHH": "CHA",
    "GS": "GSW", "NO": "NOP", "NOH": "NOP", "NOR": "NOP", "NY": "NYK", "SA": "SAS", "UTAH": "UTA", "WSH": "WAS",
    "LA CLIPPERS": "LAC", "LOS ANGELES CLIPPERS": "LAC", "CHARLOTTE BOBCATS": "CHA",
    "NEW JERSEY NETS": "BKN", "NEW ORLEANS HORNETS": "NOP", "PORTLAND TRAILBLAZERS": "POR",
}
for _abbr, _full in TEAMS.items():
    _ALIASES[_full.upper()] = _abbr
    _ALIASES[_abbr] = _abbr


def team_abbr(code_or_name: str | None) -> str | None:
    """Canonical NBA.com abbreviation for a code or full name, or None if unknown."""
    if code_or_name is None:
        return None
    return _ALIASES.get(" ".join(str(code_or_name).split()).upper())


def team_alias_rows() -> list[tuple[str, str]]:
    """(alias, abbreviation) pairs, for loading into a SQL join table."""
    return sorted(_ALIASES.items())


def season_type_of_game_id(game_id: str) -> str | None:
    """NBA.com game ids encode the type in the third digit: 2 regular, 4 playoffs, 5 play-in."""
    kind = str(game_id).zfill(10)[2]
    return {"2": "regular", "4": "playoffs", "5": "play-in"}.get(kind)
