"""The stage contract. Each stage module has a pure core and one adapter, `run(ctx) -> StageResult`,
which the shared job entry (`pipeline.jobs.run_stage`) calls. The adapter loads its inputs through
`ctx`, calls the core with its clients, and returns the output; it never touches RQ or the lead's
state: storing the output, moving the state and chaining are the job entry's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel

from pipeline.errors import PermanentError
from pipeline.models import LeadRecord, LeadState, QaStatus, Stage
from pipeline.settings import Settings
from pipeline.store import Store

M = TypeVar("M", bound=BaseModel)


@dataclass
class StageContext:
    """What a stage adapter gets: settings, the lead, the store, and whether retries are used up."""

    settings: Settings
    record: LeadRecord
    store: Store
    final_attempt: bool = False

    def load(self, stage: Stage, model: type[M]) -> M:
        """An earlier stage's output for this lead; missing output is a permanent error."""
        out = self.store.get_output(self.record.key, stage, model)
        if out is None:
            raise PermanentError(f"{stage} output for lead {self.record.key} is missing or expired")
        return out


@dataclass
class StageResult:
    """A stage's output and what it means for the lead.

    `hold` (a reason) stops the chain and holds the lead for a person; `end` (a terminal state,
    with `hold` as its reason) ends the lead there instead, e.g. `suppressed` or `rejected` by the
    email stage; `degraded` adds flags; `site_url`/`email_file`/`qa_status` are copied onto the lead record."""

    output: BaseModel
    hold: str | None = None
    end: LeadState | None = None
    degraded: list[str] = field(default_factory=list)
    site_url: str | None = None
    email_file: str | None = None
    qa_status: QaStatus | None = None


StageFn = Callable[[StageContext], StageResult]


def stage_function(stage: Stage) -> StageFn:
    """The adapter of a stage (imported lazily so a worker loads only what it runs)."""
    import importlib

    module = importlib.import_module(f"pipeline.stages.{stage.value}")
    fn: StageFn = module.run
    return fn
