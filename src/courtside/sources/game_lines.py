"""Closing game lines (kyleskom / SBR) -> raw.game_lines.

- Date: "2022-23-1019" (SEASON-MMDD) in 2020-21..2022-23: the year is the season's first for
  months 09-12, else its second; ISO dates from 2023-24.
- home_spread is the home handicap, negative = home favoured. 2022-23 onward the file's Spread > 0
  means home favoured, so home_spread = -Spread. In 2020-21 and 2021-22 Spread is the unsigned
  favourite margin: the favourite is the side with the lower moneyline.
- OU outside 150..300 is a scrape glitch (e.g. 55.0, 355.0): the row loads with total NULL and a
  reject row records the value (line, reason) so nothing is silently dropped.
- ML_Away is text like "+145\u00a0" (no-break space) in 2021-22. Team names are full names (LA/Los Angeles Clippers,
  Charlotte Bobcats) resolved through identity aliases; All-Star "Eastern"/"Western" are rejected.
- odds_2023-24_alt_v20240428 is an older export of the same season, kept only as a cross-check:
  not loaded (it would double the season).
"""

from __future__ import annotations

from courtside.sources.files import FileSpec, missing, num, reasons
from courtside.sources.teams import unknown_team

TARGET = "raw.game_lines"
KEY = ("game_date", "home_team")
TOTAL_RANGE = (150, 300)

# (TRY_CAST of the rebuilt ISO text, not make_date: a month 13 must reject the row, not fail the file)
_DATE = """CASE WHEN regexp_matches(Date, '^\\d{4}-\\d{2}-\\d{4}$')
               THEN TRY_CAST(CAST(CAST(substr(Date, 1, 4) AS INTEGER) + CAST(CAST(substr(Date, 9, 2) AS INTEGER) < 9 AS INTEGER) AS VARCHAR)
                             || '-' || substr(Date, 9, 2) || '-' || substr(Date, 11, 2) AS DATE)
               ELSE TRY_CAST(Date AS DATE) END"""


def _select(spec: FileSpec) -> str:
    ou, ou_check = num("OU", "DOUBLE")
    spread, spread_check = num("Spread", "DOUBLE")
    mlh, mlh_check = num("ML_Home")
    mla, mla_check = num("ML_Away")
    lo, hi = TOTAL_RANGE
    gd = f"TRY_CAST({_DATE} AS DATE)"
    # Signed seasons start with 2022-23 (by the game date's season).
    signed = f"_season({gd}) >= '2022-23'"
    home_spread = f"""CASE WHEN {signed} THEN -{spread}
                           WHEN {spread} = 0 THEN 0.0
                           WHEN {mlh} < {mla} THEN -abs({spread})
                           WHEN {mla} < {mlh} THEN abs({spread}) END"""
    return f"""
        SELECT {gd} AS game_date, _season({gd}) AS season, _abbr(Home) AS home_team, _abbr(Away) AS away_team,
               CAST(NULL AS VARCHAR) AS game_id, {home_spread} AS home_spread,
               CASE WHEN {ou} BETWEEN {lo} AND {hi} THEN {ou} END AS total, {mlh} AS ml_home, {mla} AS ml_away,
               _line,
               {reasons(missing('Date'), f"CASE WHEN {gd} IS NULL THEN 'Date ''' || Date || ''' is not a date' END",
                        unknown_team('Home'), unknown_team('Away'), missing('Home'), missing('Away'),
                        ou_check, spread_check, mlh_check, mla_check)} AS _reason,
               FALSE AS _skip,
               CASE WHEN {ou} NOT BETWEEN {lo} AND {hi} THEN 'OU ' || OU || ' outside {lo}..{hi} (scrape glitch): loaded with total NULL' END AS _warning
        FROM src"""


SPECS = (
    FileSpec("kyleskom", "game_odds_kyleskom_sbr/odds_*.csv.gz", TARGET,
             ("Date", "Home", "Away", "OU", "Spread", "ML_Home", "ML_Away"), _select, KEY,
             exclude=("*_alt_*",),
             # 2021-22 moneylines are text with a trailing no-break space ("+145\u00a0"): clean before casting
             prepare="trim(replace(ML_Home, chr(160), '')) AS ML_Home, trim(replace(ML_Away, chr(160), '')) AS ML_Away"),
)


def resolve_ids(engine) -> None:
    with engine.transaction() as con:
        con.execute("""
            UPDATE raw.game_lines l SET game_id = s.game_id FROM raw.schedule s
            WHERE s.game_date = l.game_date AND s.home_team = l.home_team AND s.away_team = l.away_team
              AND l.game_id IS DISTINCT FROM s.game_id""")
