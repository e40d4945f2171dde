"""Two exact solvers for matching segments (rows) to candidates (columns) by score: the best
monotonic alignment (dynamic programming) and the best assignment (the Hungarian method). Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence


class MatchError(ValueError):
    """Nothing to match against (no candidates), or fewer than the rows need."""


def align(scores: Sequence[Sequence[float]], *, strict: bool = True) -> list[int]:
    """The monotonic alignment of rows (segments) to columns (candidates in source order) with
    the highest total score: ``j_0 < j_1 < ...`` (``<=`` unless ``strict``). Dynamic programming:
    ``best[i][j] = s[i][j] + max(best[i-1][k] for k < j)``, with running prefix maxima."""
    n = len(scores)
    if n == 0:
        return []
    m = len(scores[0])
    if m == 0 or (strict and m < n):
        raise MatchError(f"cannot align {n} segments to {m} candidates")
    neg = -math.inf
    back: list[list[int]] = []  # back[i][j]: the column of row i-1 that row i at j extends
    prev = list(scores[0])
    for i in range(1, n):
        # prefix[j] = (max of prev[0..j], its argmax)
        prefix_val, prefix_arg = [neg] * m, [-1] * m
        run_val, run_arg = neg, -1
        for j in range(m):
            if prev[j] > run_val:
                run_val, run_arg = prev[j], j
            prefix_val[j], prefix_arg[j] = run_val, run_arg
        row, cur, links = scores[i], [neg] * m, [-1] * m
        for j in range(m):
            k = j - 1 if strict else j
            if k < 0 or prefix_val[k] == neg:
                continue
            cur[j] = row[j] + prefix_val[k]
            links[j] = prefix_arg[k]
        back.append(links)
        prev = cur
    j = max(range(m), key=lambda c: (prev[c], -c))
    if prev[j] == neg:
        raise MatchError(f"cannot align {n} segments to {m} candidates")
    path = [j]
    for links in reversed(back):
        j = links[j]
        path.append(j)
    return path[::-1]


def assign(scores: Sequence[Sequence[float]]) -> list[int]:
    """Each row a different column, maximum total score (rows <= columns): the Hungarian method.

    Written out (about 40 lines) instead of taking scipy's ``linear_sum_assignment``: SciPy
    would be the engine's largest dependency for this one call. Only the union of each row's
    best ``n`` columns is searched: an optimal assignment never needs a column outside its row's
    top ``n``, because at most ``n - 1`` of those are taken by the other rows.
    """
    n = len(scores)
    if n == 0:
        return []
    m = len(scores[0])
    if m < n:
        raise MatchError(f"cannot assign {n} segments to {m} candidates without reuse")
    keep: set[int] = set()
    for row in scores:
        keep.update(sorted(range(m), key=lambda c: (-row[c], c))[:n])
    columns = sorted(keep)
    top = max(scores[i][c] for i in range(n) for c in columns)
    cost = [[top - scores[i][c] for c in columns] for i in range(n)]
    chosen = _hungarian(cost)
    return [columns[c] for c in chosen]


def _hungarian(cost: list[list[float]]) -> list[int]:
    """Minimum-cost assignment of n rows to m >= n columns (potentials, O(n^2 m))."""
    n, m = len(cost), len(cost[0])
    inf = math.inf
    u, v = [0.0] * (n + 1), [0.0] * (m + 1)
    owner, way = [0] * (m + 1), [0] * (m + 1)  # owner[j]: row holding column j (1-based)
    for i in range(1, n + 1):
        owner[0], j0 = i, 0
        minv, used = [inf] * (m + 1), [False] * (m + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = owner[j0], inf, 0
            row = cost[i0 - 1]
            for j in range(1, m + 1):
                if used[j]:
                    continue
                reduced = row[j - 1] - u[i0] - v[j]
                if reduced < minv[j]:
                    minv[j], way[j] = reduced, j0
                if minv[j] < delta:
                    delta, j1 = minv[j], j
            for j in range(m + 1):
                if used[j]:
                    u[owner[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
    result = [-1] * n
    for j in range(1, m + 1):
        if owner[j]:
            result[owner[j] - 1] = j - 1
    return result
