"""Named targets: a short name for the model(s) a user wants, resolved against the registry.

A target is a model name (qualified or bare) or one of the names below; the planner then works on
the target models and their ancestors only.
"""

from __future__ import annotations

from courtside.errors import PlanError
from courtside.models.registry import Registry

TARGETS: dict[str, tuple[str, ...]] = {
    # The seed's critical path: processors #1-#3 and every analytics table they read.
    "ml-ready": ("precompute.player_composite_factors",),
    "features": ("precompute.ml_feature_store",),
    "predictions": ("predictions.player_prop_predictions",),
    "graded": ("grading.system_daily_performance", "grading.prediction_accuracy"),
}


def resolve_target(registry: Registry, target: str | list[str] | tuple[str, ...]) -> list[str]:
    """The model names a target stands for (registry order). Accepts a named target, a model
    name, or a comma-separated / list of either."""
    names = [t.strip() for t in (target.split(",") if isinstance(target, str) else target) if t.strip()]
    if not names:
        raise PlanError("no target given: pass a model name or one of " + ", ".join(TARGETS))
    out: list[str] = []
    for name in names:
        if name in TARGETS:
            absent = [m for m in TARGETS[name] if m not in registry]
            if absent:
                raise PlanError(
                    f"target `{name}` needs model(s) {', '.join(f'`{m}`' for m in absent)}, which are not "
                    f"in the registry yet; known models: {', '.join(_buildable(registry)) or 'none'}")
            out.extend(TARGETS[name])
            continue
        if name in registry or any(m.split(".")[-1] == name for m in registry.models):
            model = registry[name]
            if model.kind == "source":
                raise PlanError(f"`{model.name}` is a source table; load it with `courtside data load`")
            out.append(model.name)
            continue
        raise PlanError(f"unknown target `{name}`: not a named target ({', '.join(TARGETS)}) "
                        f"nor a model (known: {', '.join(_buildable(registry)) or 'none'})")
    return [m for m in registry.order if m in set(out)]


def target_models(registry: Registry, target) -> list[str]:
    """Targets plus all their buildable ancestors, in dependency order (sources excluded)."""
    wanted: set[str] = set()
    for name in resolve_target(registry, target):
        wanted.update(registry.ancestors(name))
    return [m for m in registry.order if m in wanted and registry[m].kind != "source"]


def _buildable(registry: Registry) -> list[str]:
    return [m.name for m in registry if m.kind != "source"]
