"""The LightGBM model's input frame: one row per player-game of the upcoming context over a date range,
with the feature store's columns plus a few pre-game extras, and (for played games) the targets.

One set-based statement serves both training (rows before a window end, played games only) and
prediction (the batch's rows), so the two can never compute a feature differently.

Extras, all from games strictly before D (the feature contract, shared with the precompute models, stays
as it is; these live with the model that uses them):
- ewma_points / ewma_threes / ewma_pra: predictions.player_baselines, the same EWMA the grade report
  compares with; the model predicts the residual over its market's EWMA (training.py);
- minutes_ewma, minutes_last_3, minutes_max_last_5: the minutes expectation, which drives every count stat;
- prev_season_*: the player's previous-season averages - the only information early in a season, when
  the in-season averages rest on one to five games (the feature store has no previous-season priors);
- days_since_last_game: returns from absence.
- teammate absence (the vacated role): the team's expected players on D (the upcoming context) who did
  not appear in the team's last game before D are likely still out: the sum of their recent points and
  minutes (never counting the player himself), as a share of the team's, the number of rotation players
  (15+ minutes) available, whether the player himself missed it, his share of the available
  points; and the change against the last 5 team games - what is missing now minus what was missing on
  average while his recent averages were earned (team_out_points_change), with the share of those 5 games
  he missed himself;
- opponent / own team form: over the team's last 10 games this season, the points players scored
  against this opponent relative to their EWMAs (difference and ratio), and the team's own players' points
  relative to theirs;
- shooting volume and efficiency: EWMAs of FGA, FTA and 3PA, season true shooting, their product (the
  points the volume yields at the season's efficiency), points EWMAs with half-lives 2 and 15 games, the
  last game's points and minutes, per-minute scoring x expected minutes.
- the closing line against the team's usual: spread_surprise, D's spread (home advantage of 2.5 points
  taken out) minus what the two teams' mean spreads this season before D imply (team's mean minus
  opponent's), and team_total_surprise, the team's implied total (total / 2 - spread / 2) minus its
  mean before D. A line weaker than usual prices news the box scores cannot show yet (who sits, who
  returns): on 2022-23 the pair took the points model's gain over the EWMA from 2.38% to 2.68% (mean of
  3 seeds: 2.35 -> 2.62%); means over the last 5/10/20 games instead of the season gave less. D's line is
  a pre-game price; the means read only games before D. NULL without lines (after Nov 2024), like
  game_total_line. (The team's lines come from the upcoming context, which has nobody on the first dates
  of 2020-21: those first games are missing from that season's means.)
Each of these moved the 2022-23 points MAE by a little (the absence and form features ~0.1-0.15 points
of the percentage gain over the EWMA, the shooting ones about nothing alone); together with the training
changes in training.py they took LightGBM from 1.91% to 2.5% better than the EWMA on 2022-23.
"""

from __future__ import annotations

import datetime as dt

from courtside.ml.baselines import EWMA_HALF_LIFE_GAMES
from courtside.ml.markets import MARKET_NAMES, target_unpivot_sql

EXTRA_FEATURES = ("ewma_points", "ewma_threes", "ewma_pra", "minutes_ewma", "minutes_last_3",
                  "minutes_max_last_5", "prev_season_points", "prev_season_minutes", "prev_season_games",
                  "prev_season_pra", "prev_season_threes", "days_since_last_game",
                  "team_out_points", "team_out_minutes", "team_out_share", "team_available_rotation",
                  "missed_team_last_game", "points_share_available",
                  "opp_allowed_residual", "opp_allowed_ratio", "team_scoring_residual", "ppm_x_minutes",
                  "fga_ewma", "fta_ewma", "fg3a_ewma", "ts_season", "points_ewma_long", "points_ewma_short",
                  "points_last_1", "minutes_last_1", "shots_x_ts",
                  "team_out_points_change", "team_out_minutes_change", "recent_missed_share",
                  "spread_surprise", "team_total_surprise")
_R = 0.5 ** (1 / EWMA_HALF_LIFE_GAMES)
_R_LONG, _R_SHORT = 0.5 ** (1 / 15), 0.5 ** (1 / 2)


def _ewma(col: str, r: float) -> str:
    """EWMA of a column over the season window w (games where it is known), as a ratio of running sums."""
    return (f"sum({col} * pow({r}, -idx)) OVER w / "
            f"nullif(sum(CASE WHEN {col} IS NOT NULL THEN pow({r}, -idx) END) OVER w, 0)")


def frame_sql(features: tuple[str, ...], lo: dt.date, hi: dt.date) -> str:
    """Rows of the upcoming context with game_date in [lo, hi]; targets NULL unless the player played."""
    cols = ", ".join(f'f."{c}"::DOUBLE AS "{c}"' for c in features)
    ewma = ", ".join(f"max(ewma) FILTER (WHERE market = '{m}') AS ewma_{m}" for m in MARKET_NAMES)
    lo_s, hi_s = f"DATE '{lo.isoformat()}'", f"DATE '{hi.isoformat()}'"
    return f"""
WITH ctx AS (
    SELECT game_date, player_id, season, team_abbr, opponent_abbr, last_appearance_date
    FROM analytics.upcoming_player_game_context WHERE game_date BETWEEN {lo_s} AND {hi_s}
),
seasons AS (
    SELECT season, lag(season) OVER (ORDER BY season) AS prev_season, min_start
    FROM (SELECT season, min(game_date) AS min_start FROM raw.game_dates GROUP BY season)
),
played AS (   -- every played game before the range's end (strictly before each row's D, see the joins)
    SELECT player_id, season, game_date, team_abbr, opponent_abbr, minutes::DOUBLE AS minutes, pts::DOUBLE AS pts,
           (pts + reb + ast)::DOUBLE AS pra, fg3m::DOUBLE AS fg3m,
           fga::DOUBLE AS fga, fta::DOUBLE AS fta, fg3a::DOUBLE AS fg3a
    FROM analytics.player_game_summary
    WHERE game_date < {hi_s} AND NOT coalesce(is_dnp, FALSE) AND coalesce(minutes, 0) > 0
),
prev AS (     -- whole previous seasons: they ended before any D of the next season
    -- minutes (4-decimal doubles) averaged as exact decimals: a parallel double sum's last bit varied
    -- with the data around it, and LightGBM bins can split on it (the point-in-time test)
    SELECT player_id, season, avg(pts) AS points, avg(minutes::DECIMAL(18, 4)) AS minutes, count(*) AS games,
           avg(pra) AS pra, avg(fg3m) AS threes
    FROM played GROUP BY player_id, season
),
season_floor AS (   -- the first day of the earliest season in the range: season windows start there
    SELECT min(s.min_start) AS first_day FROM seasons s WHERE s.season IN (SELECT DISTINCT season FROM ctx)
),
this_season AS (
    SELECT p.*, row_number() OVER (PARTITION BY p.player_id, p.season ORDER BY p.game_date) - 1 AS idx
    FROM played p
    WHERE p.game_date >= (SELECT first_day FROM season_floor)
),
team_lines AS (   -- each team's closing line per game this season (one value per team and date)
    SELECT game_date, season, team_abbr, any_value(opponent_abbr) AS opponent_abbr,
           any_value(game_spread + CASE WHEN is_home THEN 2.5 ELSE -2.5 END) AS neutral_spread,
           any_value(game_total / 2 - game_spread / 2) AS team_total
    FROM analytics.upcoming_player_game_context
    WHERE game_date BETWEEN (SELECT first_day FROM season_floor) AND {hi_s}
    GROUP BY game_date, season, team_abbr
),
line_form AS (    -- the team's mean line over its games of the season strictly before D
    SELECT *, avg(neutral_spread) OVER w AS mean_spread, avg(team_total) OVER w AS mean_total
    FROM team_lines
    WINDOW w AS (PARTITION BY season, team_abbr ORDER BY game_date ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
line_surprise AS (
    SELECT t.game_date, t.team_abbr,
           -- spreads are multiples of 0.5 (exact doubles); rounded anyway for stable bits
           round(t.neutral_spread - (t.mean_spread - o.mean_spread), 6) AS spread_surprise,
           round(t.team_total - t.mean_total, 6) AS team_total_surprise
    FROM line_form t JOIN line_form o ON o.game_date = t.game_date AND o.team_abbr = t.opponent_abbr
),
running AS (  -- as of each played game, inclusive; the ASOF join below takes the last one before D
    SELECT player_id, season, game_date,
           {_ewma('minutes', _R)} AS minutes_ewma,
           avg(minutes) OVER (PARTITION BY player_id, season ORDER BY game_date ROWS 2 PRECEDING) AS minutes_last_3,
           max(minutes) OVER (PARTITION BY player_id, season ORDER BY game_date ROWS 4 PRECEDING)
               AS minutes_max_last_5,
           {_ewma('fga', _R)} AS fga_ewma, {_ewma('fta', _R)} AS fta_ewma, {_ewma('fg3a', _R)} AS fg3a_ewma,
           sum(pts) FILTER (WHERE fga IS NOT NULL) OVER w
               / nullif(2 * (sum(fga) OVER w + 0.44 * sum(fta) OVER w), 0) AS ts_season,
           {_ewma('pts', _R_LONG)} AS points_ewma_long, {_ewma('pts', _R_SHORT)} AS points_ewma_short,
           pts AS points_last_1, minutes AS minutes_last_1
    FROM this_season
    WINDOW w AS (PARTITION BY player_id, season ORDER BY game_date ROWS UNBOUNDED PRECEDING)
),
team_games AS (   -- the team's games this season, numbered
    SELECT team_abbr, season, game_date,
           row_number() OVER (PARTITION BY team_abbr, season ORDER BY game_date) AS tg
    FROM (SELECT DISTINCT team_abbr, season, game_date FROM this_season)
),
apps AS (         -- a player's appearances for a team, counted along the team's games
    SELECT p.player_id, p.team_abbr, p.season, t.tg,
           row_number() OVER (PARTITION BY p.player_id, p.team_abbr, p.season ORDER BY t.tg) AS cum
    FROM this_season p JOIN team_games t USING (team_abbr, season, game_date)
),
ctx_tg AS (       -- the number of the team's last game before D
    SELECT c.*, tl.tg AS n_last, tl.tg - 5 AS n_5ago
    FROM ctx c ASOF LEFT JOIN team_games tl
      ON tl.team_abbr = c.team_abbr AND tl.season = c.season AND c.game_date > tl.game_date
),
recent AS (       -- how many of the team's last 5 games (before D) the player missed
    SELECT c.game_date, c.player_id, least(5, c.n_last) AS span,
           least(5, c.n_last) - (coalesce(a1.cum, 0) - coalesce(a5.cum, 0)) AS missed_games
    FROM ctx_tg c
    ASOF LEFT JOIN apps a1 ON a1.player_id = c.player_id AND a1.team_abbr = c.team_abbr
                          AND a1.season = c.season AND c.n_last >= a1.tg
    ASOF LEFT JOIN apps a5 ON a5.player_id = c.player_id AND a5.team_abbr = c.team_abbr
                          AND a5.season = c.season AND c.n_5ago >= a5.tg
),
roster AS (  -- the team's expected players on D with their recent role (all known before D)
    -- roles as exact decimals: the team sums below must not depend on the order a parallel
    -- aggregate adds them in (double sums did: the point-in-time test)
    SELECT c.game_date, c.player_id, c.team_abbr, rc.span, rc.missed_games,
           ROUND(coalesce(f.points_avg_last_10::DOUBLE, pv.points), 4)::DECIMAL(18, 4) AS role_points,
           ROUND(coalesce(f.minutes_avg_last_10::DOUBLE, pv.minutes), 4)::DECIMAL(18, 4) AS role_minutes,
           -- the team's last game before D: the latest last appearance of its expected players
           c.last_appearance_date < max(c.last_appearance_date) OVER (PARTITION BY c.game_date, c.team_abbr)
               AS missed_last
    FROM ctx c
    JOIN precompute.ml_feature_store f ON f.game_date = c.game_date AND f.player_id = c.player_id
    LEFT JOIN recent rc ON rc.game_date = c.game_date AND rc.player_id = c.player_id
    LEFT JOIN seasons s ON s.season = c.season
    LEFT JOIN prev pv ON pv.player_id = c.player_id AND pv.season = s.prev_season
),
team_roles AS (
    SELECT game_date, team_abbr,
           coalesce(sum(role_points) FILTER (WHERE missed_last), 0) AS out_points,
           coalesce(sum(role_minutes) FILTER (WHERE missed_last), 0) AS out_minutes,
           coalesce(sum(role_points), 0) AS all_points,
           coalesce(sum(role_points) FILTER (WHERE NOT missed_last), 0) AS available_points,
           count(*) FILTER (WHERE NOT missed_last AND role_minutes >= 15) AS available_rotation,
           sum(role_points * missed_games) AS recent_out_games_points,    -- / span: the mean over the 5
           sum(role_minutes * missed_games) AS recent_out_games_minutes
    FROM roster GROUP BY ALL
),
vacated AS (  -- teammates (never the player himself) who missed the team's last game: likely still out
    SELECT game_date, player_id,
           out_points::DOUBLE AS team_out_points,
           out_minutes::DOUBLE AS team_out_minutes,
           out_points::DOUBLE / nullif(all_points::DOUBLE, 0) AS team_out_share,
           available_rotation::DOUBLE AS team_available_rotation,
           missed_last::DOUBLE AS missed_team_last_game,
           role_points::DOUBLE / nullif((available_points + own_out_points)::DOUBLE, 0) AS points_share_available,
           -- missing now vs missing on average over the last 5 games (what the player's recent
           -- averages were earned with): the role that opened up or closed since
           out_points::DOUBLE - (recent_out_games_points - coalesce(role_points * missed_games, 0))::DOUBLE / span
               AS team_out_points_change,
           out_minutes::DOUBLE - (recent_out_games_minutes - coalesce(role_minutes * missed_games, 0))::DOUBLE / span
               AS team_out_minutes_change,
           missed_games::DOUBLE / span AS recent_missed_share
    FROM (SELECT r.game_date, r.player_id, r.role_points, r.role_minutes, r.missed_last, r.missed_games, r.span,
                 t.all_points, t.available_points, t.available_rotation,
                 t.recent_out_games_points, t.recent_out_games_minutes, own_out_points,
                 -- the team's missing role less the player's own
                 t.out_points - own_out_points AS out_points, t.out_minutes - own_out_minutes AS out_minutes
          FROM (SELECT *, CASE WHEN missed_last THEN coalesce(role_points, 0) ELSE 0 END AS own_out_points,
                          CASE WHEN missed_last THEN coalesce(role_minutes, 0) ELSE 0 END AS own_out_minutes
                FROM roster) r
          JOIN team_roles t ON t.game_date = r.game_date AND t.team_abbr = r.team_abbr)
),
vs_expected AS (  -- per team game: points scored against the players' EWMAs (this season, before hi)
    SELECT p.season, p.game_date, p.team_abbr, p.opponent_abbr,
           -- exact decimals (pts whole, the EWMA rounded to 4): sums independent of the adding order
           sum(p.pts::DECIMAL(18, 4) - b.ewma::DECIMAL(18, 4)) AS residual, sum(b.ewma::DECIMAL(18, 4)) AS expected,
           sum(p.pts::DECIMAL(18, 4)) AS actual, count(*) AS n
    FROM this_season p
    JOIN predictions.player_baselines b
      ON b.game_date = p.game_date AND b.player_id = p.player_id AND b.market = 'points'
    WHERE b.ewma IS NOT NULL
    GROUP BY ALL
),
form AS (     -- as of each team game (inclusive), its last 10 games; the ASOF joins take the last before D
    SELECT season, game_date, team_abbr, opponent_abbr,
           (sum(residual) OVER def10)::DOUBLE / sum(n) OVER def10 AS allowed_residual,
           (sum(actual) OVER def10)::DOUBLE / nullif((sum(expected) OVER def10)::DOUBLE, 0) AS allowed_ratio
    FROM vs_expected
    WINDOW def10 AS (PARTITION BY season, opponent_abbr ORDER BY game_date ROWS 9 PRECEDING)
),
own_form AS (
    SELECT season, game_date, team_abbr,
           (sum(residual) OVER off10)::DOUBLE / sum(n) OVER off10 AS scoring_residual
    FROM vs_expected
    WINDOW off10 AS (PARTITION BY season, team_abbr ORDER BY game_date ROWS 9 PRECEDING)
),
base AS (
    SELECT game_date, player_id, {ewma}
    FROM predictions.player_baselines WHERE game_date BETWEEN {lo_s} AND {hi_s}
    GROUP BY game_date, player_id
),
as_of AS (    -- the as-of joins on the narrow context rows (on the wide rows they sorted every feature column)
    -- window sums over doubles differ in their last bits with the data a statement sees (other seasons,
    -- later games); rounded to 6 decimals they are the same value for the same history
    SELECT c.game_date, c.player_id,
           round(r.minutes_ewma, 6) AS minutes_ewma, round(r.minutes_last_3, 6) AS minutes_last_3,
           r.minutes_max_last_5, round(r.fga_ewma, 6) AS fga_ewma, round(r.fta_ewma, 6) AS fta_ewma,
           round(r.fg3a_ewma, 6) AS fg3a_ewma, round(r.ts_season, 6) AS ts_season,
           round(r.points_ewma_long, 6) AS points_ewma_long, round(r.points_ewma_short, 6) AS points_ewma_short,
           r.points_last_1, r.minutes_last_1,
           df.allowed_residual AS opp_allowed_residual, df.allowed_ratio AS opp_allowed_ratio,
           tf.scoring_residual AS team_scoring_residual
    FROM ctx c
    ASOF LEFT JOIN running r ON r.player_id = c.player_id AND r.season = c.season AND c.game_date > r.game_date
    ASOF LEFT JOIN (SELECT season, opponent_abbr, game_date, allowed_residual, allowed_ratio FROM form) df
      ON df.opponent_abbr = c.opponent_abbr AND df.season = c.season AND c.game_date > df.game_date
    ASOF LEFT JOIN own_form tf ON tf.team_abbr = c.team_abbr AND tf.season = c.season AND c.game_date > tf.game_date
)
SELECT c.game_date, c.player_id, {cols},
       b.ewma_points, b.ewma_threes, b.ewma_pra,
       r.minutes_ewma, r.minutes_last_3, r.minutes_max_last_5,
       pv.points AS prev_season_points, pv.minutes AS prev_season_minutes,
       pv.games::DOUBLE AS prev_season_games, pv.pra AS prev_season_pra, pv.threes AS prev_season_threes,
       date_diff('day', c.last_appearance_date, c.game_date)::DOUBLE AS days_since_last_game,
       v.team_out_points, v.team_out_minutes, v.team_out_share, v.team_available_rotation,
       v.missed_team_last_game, v.points_share_available,
       v.team_out_points_change, v.team_out_minutes_change, v.recent_missed_share,
       r.opp_allowed_residual, r.opp_allowed_ratio, r.team_scoring_residual,
       f.ppm_avg_last_10::DOUBLE * r.minutes_ewma AS ppm_x_minutes,
       r.fga_ewma, r.fta_ewma, r.fg3a_ewma, r.ts_season, r.points_ewma_long, r.points_ewma_short,
       r.points_last_1, r.minutes_last_1, 2 * (r.fga_ewma + 0.44 * r.fta_ewma) * r.ts_season AS shots_x_ts,
       ls.spread_surprise, ls.team_total_surprise,
       {target_unpivot_sql('g')}
FROM ctx c
JOIN precompute.ml_feature_store f ON f.game_date = c.game_date AND f.player_id = c.player_id
LEFT JOIN base b ON b.game_date = c.game_date AND b.player_id = c.player_id
LEFT JOIN vacated v ON v.game_date = c.game_date AND v.player_id = c.player_id
LEFT JOIN seasons s ON s.season = c.season
LEFT JOIN prev pv ON pv.player_id = c.player_id AND pv.season = s.prev_season
LEFT JOIN as_of r ON r.game_date = c.game_date AND r.player_id = c.player_id
LEFT JOIN line_surprise ls ON ls.game_date = c.game_date AND ls.team_abbr = c.team_abbr
LEFT JOIN (SELECT * FROM analytics.player_game_summary
           WHERE game_date BETWEEN {lo_s} AND {hi_s}
             AND NOT coalesce(is_dnp, FALSE) AND coalesce(minutes, 0) > 0) g
  ON g.game_date = c.game_date AND g.player_id = c.player_id
ORDER BY c.game_date, c.player_id
"""
