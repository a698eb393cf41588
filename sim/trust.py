"""Trust between the agents as a matrix, with a month's changes applied at its end.

The tables of one month meet in parallel (docs/ODD.md 3.4.6, design decision of model 0.3):
every meeting of the month reads the trust and insight the parties brought into the month,
and what the meetings change (trust after concessions, agreements, impasses; insight learned
at structural tables) is summed and applied when the month ends, then clipped to [0, 1].
So the order in which tables meet within a month does not matter.

Trust lives in an agents x agents array (row: who trusts, column: whom); ``trust.initial``
wherever nothing has happened yet. Elections blend a replaced alderman's row and column back
towards the start at once (they happen before the tables meet). Trust built at a one-off
table lives in the case and never reaches this store.
"""

from __future__ import annotations

import numpy as np


class TrustStore:
    def __init__(self, n_agents: int, initial: float):
        self.initial = initial
        self.value = np.full((n_agents, n_agents), initial)
        np.fill_diagonal(self.value, 1.0)
        self._rows: list = []       # arrays of the month's changes, in the order made
        self._cols: list = []
        self._deltas: list = []
        self._single: list = []     # (i, j, delta) changes made one at a time since the last array

    def get(self, i: int, j: int) -> float:
        return float(self.value[i, j])

    def add(self, i: int, j: int, delta: float) -> None:
        """A change of trust of i in j, applied at the end of the month."""
        self._single.append((i, j, delta))

    def add_many(self, rows: np.ndarray, cols: np.ndarray, deltas: np.ndarray) -> None:
        """Changes of trust of rows[k] in cols[k], applied at the end of the month."""
        self._collect_single()
        self._rows.append(rows)
        self._cols.append(cols)
        self._deltas.append(deltas)

    def _collect_single(self) -> None:
        """The changes made one at a time as one array each, in their place among the others (the
        month's changes to a pair are summed in the order made)."""
        if self._single:
            rows, cols, deltas = zip(*self._single)
            self._single = []
            self._rows.append(np.array(rows))
            self._cols.append(np.array(cols))
            self._deltas.append(np.array(deltas, dtype=float))

    def apply(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Apply the month's changes; return the (i, j, new value) of every pair whose trust changed."""
        self._collect_single()
        if not self._deltas:
            return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
        rows, cols = np.concatenate(self._rows), np.concatenate(self._cols)
        n = self.value.shape[1]
        pairs = np.divmod(np.unique(rows * n + cols), n)    # the pairs that changed, sorted by (row, column)
        before = self.value[pairs[0], pairs[1]].copy()
        np.add.at(self.value, (rows, cols), np.concatenate(self._deltas))
        after = np.clip(self.value[pairs[0], pairs[1]], 0.0, 1.0)
        self.value[pairs[0], pairs[1]] = after
        self._rows, self._cols, self._deltas = [], [], []
        moved = after != before
        return pairs[0][moved], pairs[1][moved], after[moved]

    def set_now(self, rows, cols, deltas) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Changes that take effect at once (a learning programme before a table negotiates)."""
        rows, cols = np.asarray(rows), np.asarray(cols)
        before = self.value[rows, cols].copy()
        self.value[rows, cols] = np.clip(before + np.asarray(deltas), 0.0, 1.0)
        after = self.value[rows, cols]
        moved = after != before
        return rows[moved], cols[moved], after[moved]

    def reset(self, i: int, share: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Trust to and from agent i moves ``share`` of the way back to the initial value (an election)."""
        old_row, old_col = self.value[i].copy(), self.value[:, i].copy()
        self.value[i] = old_row * (1 - share) + self.initial * share
        self.value[:, i] = self.value[:, i] * (1 - share) + self.initial * share
        self.value[i, i] = 1.0
        cols = (self.value[i] != old_row).nonzero()[0]
        rows = (self.value[:, i] != old_col).nonzero()[0]
        i_rows = np.concatenate([np.full(len(cols), i), rows])
        j_cols = np.concatenate([cols, np.full(len(rows), i)])
        return i_rows, j_cols, self.value[i_rows, j_cols]
