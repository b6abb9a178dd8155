"""What a sweep did, in figures an operator and a metric can both use."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class SweepReport:
    """`read`: index items DynamoDB returned (what the sweep paid to read). `changed`: items it
    moved (e.g. coupons expired). `skipped`: items whose conditional write refused because a
    racing write moved them first. `finished`: False when the budget ran out; the next run
    carries on, since every item already handled has left the index."""

    job: str
    as_of: str
    read: int = 0
    changed: int = 0
    skipped: int = 0
    finished: bool = True
    seconds: float = 0.0

    @property
    def expired(self) -> int:
        """The expiry sweep's name for `changed`."""
        return self.changed

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def line(self) -> str:
        state = "finished" if self.finished else "stopped by its budget (the next run carries on)"
        return (f"{self.job} as of {self.as_of}: read {self.read}, changed {self.changed}, skipped {self.skipped}, "
                f"{state}, {self.seconds:.2f} s")
