"""The raw tables as source models: loaded by courtside.sources, tracked in the ledger like any model."""

from courtside.models.registry import Model

_SCHEDULE_GAMES = "SELECT game_date, count(*) AS expected FROM raw.schedule WHERE game_date BETWEEN $start AND $end GROUP BY 1"

MODELS = [
    Model("raw.schedule", "raw", ("game_id",), "one row per game", kind="source"),
    Model("raw.team_boxscores", "raw", ("game_id", "team_abbr"), "team box score per game", kind="source"),
    Model("raw.player_boxscores", "raw", ("game_id", "player_id"), "canonical player box score", kind="source"),
    Model("raw.shots", "raw", (), "every field-goal attempt", kind="source"),
    Model("raw.player_props", "raw", (), "sportsbook prop snapshots", kind="source"),
    Model("raw.game_lines", "raw", ("game_date", "home_team"), "closing spread/total/moneyline", kind="source"),
]
